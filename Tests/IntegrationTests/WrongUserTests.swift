import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Running respaldo as another user than the one that owns `state_dir` (the issue: one
/// `backup` as root left a root-owned run state; from then on the service user's `status`
/// failed and its `backup` exited 0 while logging "cannot record the run").
final class WrongUserTests: XCTestCase {
    static let nobody: uid_t = 65534
    static let nogroup: gid_t = 65534

    private func twoJobs(_ ws: Workspace, metrics: String? = nil) throws {
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 500)
        var text = ws.header()
        if let metrics { text += "\n[metrics]\ntextfile = \(toml(metrics))\n\n" }
        text += Workspace.commandJob("crm", ["cat", small]) + Workspace.commandJob("web", ["cat", small])
        try ws.writeRawConfig(text)
    }

    /// `respaldo <command> --config … <args>` as `nobody`.
    private func asNobody(_ ws: Workspace, _ command: String, _ args: String...) throws -> ProcessResult {
        try Subprocess.run(
            ["setpriv", "--reuid=\(Self.nobody)", "--regid=\(Self.nogroup)", "--clear-groups", "--"]
                + Respaldo.argv(command, config: ws.configPath, args),
            environment: Respaldo.environment(home: ws.root))
    }

    private func chownTree(_ path: String, _ uid: uid_t, _ gid: gid_t) throws {
        try Subprocess.checked(["chown", "-R", "\(uid):\(gid)", path])
    }

    func testACommandOfAnotherUserThanTheStateOwnerStopsWithTheFix() throws {
        try XCTSkipUnless(Tools.isRoot, "needs root to hand state_dir to another user")
        let ws = try Workspace.make(for: self, "wrong-user")
        try twoJobs(ws)
        // The service user owns state_dir; root runs a backup.
        XCTAssertEqual(chown(ws.stateDir, Self.nobody, Self.nogroup), 0)
        let r = try ws.respaldo("backup", "crm")
        assertExit(r, 2, "a command as the wrong user is refused")
        XCTAssertTrue(r.stderrText.contains("sudo -u nobody respaldo backup"), "the fix is named: \(r.summary)")
        XCTAssertTrue(r.stderrText.contains(ws.stateDir), r.summary)
        XCTAssertEqual(Files.tree(ws.localDir), [], "nothing was dumped")
        XCTAssertEqual(Files.tree(ws.stateDir), [], "nothing was written in state_dir")
        for command in ["upload", "prune", "verify", "drill", "status"] {
            let other = try ws.respaldo(command)
            assertExit(other, 2, "\(command) as the wrong user")
            XCTAssertTrue(other.stderrText.contains("sudo -u nobody respaldo \(command)"), other.summary)
        }

        // The other way round: a root-owned state_dir and the service user running.
        try chownTree(ws.root, Self.nobody, Self.nogroup)
        XCTAssertEqual(chown(ws.stateDir, 0, 0), 0)
        let service = try asNobody(ws, "backup", "web")
        assertExit(service, 2, "the service user cannot use root's state_dir")
        XCTAssertTrue(service.stderrText.contains("sudo -u root respaldo backup"), service.summary)
        XCTAssertEqual(Files.tree(ws.localDir), [])
    }

    func testARunThatCannotBeRecordedFailsAndStatusAndMetricsShowTheOtherJobs() throws {
        try XCTSkipUnless(Tools.isRoot, "needs root to run as nobody")
        let ws = try Workspace.make(for: self, "unrecorded")
        let metrics = ws.path("metrics/respaldo.prom")
        try FileManager.default.createDirectory(atPath: ws.path("metrics"), withIntermediateDirectories: false)
        try twoJobs(ws, metrics: metrics)
        try chownTree(ws.root, Self.nobody, Self.nogroup)
        try requireExit(try asNobody(ws, "backup", "crm"), 0, "the service user's backup of crm")
        try requireExit(try asNobody(ws, "backup", "web"), 0, "the service user's backup of web")

        // What an older root run left behind: crm's run state, root's and private.
        let record = ws.stateDir + "/runs/crm.json"
        XCTAssertEqual(chown(record, 0, 0), 0)
        XCTAssertEqual(chmod(record, 0o600), 0)

        let backup = try asNobody(ws, "backup", "crm")
        assertExit(backup, 1, "a run that cannot be recorded fails")
        XCTAssertEqual(backup.stdoutLines.count, 1, "the snapshot was made and its id printed: \(backup.summary)")
        XCTAssertTrue(backup.stderrText.contains("cannot record"), backup.summary)
        XCTAssertTrue(backup.stderrText.contains(record), "the message names the file: \(backup.summary)")

        let status = try asNobody(ws, "status")
        assertExit(status, 1, "status says one job's record is unreadable")
        XCTAssertTrue(status.output.contains("crm") && status.output.contains("unreadable"), status.summary)
        XCTAssertTrue(status.output.contains(record), status.summary)
        let web = status.stdoutText.components(separatedBy: "\nweb").last ?? ""
        XCTAssertTrue(web.contains("last run:") && web.contains("ok"), "web is still shown: \(status.summary)")

        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        XCTAssertTrue(prom.contains("respaldo_state_unreadable{job=\"crm\"} 1"), prom)
        XCTAssertTrue(prom.contains("respaldo_state_unreadable{job=\"web\"} 0"), prom)
        XCTAssertFalse(prom.contains("respaldo_last_success_timestamp_seconds{job=\"crm\"}"), "crm's run series are skipped, not zeroed: \(prom)")
        XCTAssertTrue(prom.contains("respaldo_last_run_success{job=\"web\"} 1"), prom)
    }
}
