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
}
