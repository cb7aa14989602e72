import Foundation
import XCTest

/// Drills of files jobs (the tar archive extracted into a scratch folder, paths checked) and
/// command jobs (restore_command reads the dump on stdin), through the binary.
final class DrillFolderTests: XCTestCase {
    func testFilesDrillExtractsAndChecksPaths() throws {
        let ws = try Workspace.make(for: self, "drill-files")
        let tree = ws.path("site")
        try FileManager.default.createDirectory(atPath: tree + "/conf/deep", withIntermediateDirectories: true)
        try Files.write(tree + "/conf/app.yml", "port: 8080\n")
        try makeSampleFile(tree + "/conf/deep/blob.bin", randomBytes: 50_000, lines: 1000)
        // A read-only folder in the archive must not stop the cleanup.
        try FileManager.default.createDirectory(atPath: tree + "/locked", withIntermediateDirectories: true)
        try Files.write(tree + "/locked/inside.txt", "x\n")
        chmod(tree + "/locked", 0o555)
        defer { chmod(tree + "/locked", 0o755) }
        try ws.writeConfig("""
            [[jobs]]
            name = "site"
            source = "files"
            paths = [\(toml(tree))]
            [jobs.drill]
            checks = [\(toml(tree + "/conf/app.yml")), \(toml(tree + "/conf/deep/blob.bin")), \(toml(tree + "/conf/missing.txt"))]

            """)
        _ = try ws.backup("site")
        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "site", "--report", reportPath)
        assertExit(r, 1, "a missing path fails the drill")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "path"), [
            tree: true, tree + "/conf/app.yml": true, tree + "/conf/deep/blob.bin": true, tree + "/conf/missing.txt": false,
        ])
        XCTAssertTrue(r.stdoutText.contains("FAIL path \(tree)/conf/missing.txt: missing from the restore"), r.summary)
        XCTAssertEqual(report["scratch_removed"] as? Bool, true)
        DrillFixture.assertNoWorkFolders(ws)

        // Without the missing path, it passes.
        try ws.writeConfig("""
            [[jobs]]
            name = "site"
            source = "files"
            paths = [\(toml(tree))]
            [jobs.drill]
            checks = [\(toml(tree + "/locked/inside.txt"))]

            """)
        assertExit(try ws.respaldo("drill", "site", "--report", reportPath), 0, "files drill")
        XCTAssertEqual(try DrillFixture.report(reportPath)["ok"] as? Bool, true)
        DrillFixture.assertNoWorkFolders(ws)

        // Both drills are in the audit log and the last one in `status`.
        let audit = try String(contentsOfFile: ws.stateDir + "/audit.log", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(audit.filter { $0.contains("\"action\":\"drill\"") }.count, 2, audit.joined(separator: "\n"))
        XCTAssertTrue(audit.contains { $0.contains("\"action\":\"drill\"") && $0.contains("\"result\":\"failed\"") })
        let status = try ws.respaldo("status", "--json")
        assertExit(status, 0, "status --json")
        let jobs = try XCTUnwrap((try parseJSON(status.stdoutText, "status") as? [String: Any])?["jobs"] as? [[String: Any]], status.stdoutText)
        XCTAssertEqual((jobs.first?["last_drill"] as? [String: Any])?["success"] as? Bool, true, status.stdoutText)
    }

    func testCommandDrillFeedsRestoreCommand() throws {
        let ws = try Workspace.make(for: self, "drill-cmd")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 200_000, lines: 50_000)
        // The restore command proves it got the exact dump bytes on stdin, and leaves a file in
        // its scratch folder for the configured check.
        let restore = ["sh", "-c", "cat > \"$RESPALDO_DRILL_DIR/restored.bin\" && cmp \"$RESPALDO_DRILL_DIR/restored.bin\" \"$0\"", original]
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("db", ["cat", original], extra: """
            [jobs.drill]
            restore_command = \(toml(restore))
            checks = ["restored.bin"]
            identity_file = \(toml(key.identityPath))
            """))
        let id = try ws.backup("db")
        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "--snapshot", id, "--report", reportPath)
        assertExit(r, 0, "command drill (identity from [jobs.drill] identity_file)")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "path"), ["restored.bin": true])
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "restore").values.first, true)
        DrillFixture.assertNoWorkFolders(ws)

        // A restore command that fails fails the drill, with its stderr in the report.
        let failing = ["sh", "-c", "cat > /dev/null; echo 'restore refused' >&2; exit 3"]
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("db", ["cat", original], extra: """
            [jobs.drill]
            restore_command = \(toml(failing))
            """))
        let bad = try ws.respaldo("drill", "db", "--identity", key.identityPath, "--report", reportPath)
        assertExit(bad, 1, "a failing restore_command fails the drill")
        let badReport = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(badReport, kind: "restore").values.first, false)
        XCTAssertTrue((badReport["error"] as? String ?? "").contains("restore refused"), "\(badReport)")
        DrillFixture.assertNoWorkFolders(ws)

        // No identity for an encrypted snapshot, or no restore_command: usage errors (exit 2).
        assertExit(try ws.respaldo("drill", "db"), 2, "an encrypted snapshot needs an identity")
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("db", ["cat", original]))
        let none = try ws.respaldo("drill", "db", "--identity", key.identityPath)
        assertExit(none, 2, "a command job needs restore_command")
        XCTAssertTrue(none.stderrText.contains("restore_command"), none.summary)
        DrillFixture.assertNoWorkFolders(ws)
    }
}
