import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Scenario 8: configuration errors exit 2 naming the key and `path:LINE:`; unsafe
/// permissions are refused.
final class ConfigTests: XCTestCase {
    /// Writes `text`, runs `check-config` and asserts exit 2 and a message naming every one of
    /// `mentions` and `<config path>:<one of lines>:`.
    private func assertConfigError(_ ws: Workspace, _ text: String, mentions: [String], lines: [Int], command: String = "check-config", file: StaticString = #filePath, line: UInt = #line) throws {
        try ws.writeRawConfig(text)
        let r = try ws.respaldo(command)
        assertExit(r, 2, "a bad config must exit 2 (config:\n\(text))", file: file, line: line)
        for m in mentions {
            XCTAssertTrue(r.output.contains(m), "the message must name `\(m)`\n\(r.summary)", file: file, line: line)
        }
        XCTAssertTrue(lines.contains { r.output.contains(":\($0):") }, "the message must give the line (:\(lines.map(String.init).joined(separator: ": or :")):)\n\(r.summary)", file: file, line: line)
        XCTAssertTrue(lines.contains { r.output.contains("\(ws.configPath):\($0):") }, "the message must start with `\(ws.configPath):LINE:`\n\(r.summary)", file: file, line: line)
    }

    func testGoodConfigPasses() throws {
        let ws = try Workspace.make(for: self, "cfg")
        try ws.writeConfig(Workspace.commandJob("ok", ["echo", "x"], extra: "schedule = \"01:00\"\ncompression_level = 6\nmin_bytes = 1"))
        let r = try ws.respaldo("check-config")
        assertExit(r, 0, "a good config")
        XCTAssertFalse(r.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "check-config prints a short OK line")
    }

    func testUnknownKeyInJob() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let text = ws.header() + "\n" + Workspace.commandJob("db", ["echo", "x"], extra: "compresion_level = 6")
        try assertConfigError(ws, text, mentions: ["compresion_level"], lines: [lineNumber(of: "compresion_level", in: text)])
    }

    func testUnknownTopLevelKey() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let text = ws.header() + "retension_days = 3\n\n" + Workspace.commandJob("db", ["echo", "x"])
        try assertConfigError(ws, text, mentions: ["retension_days"], lines: [lineNumber(of: "retension_days", in: text)])
    }

    func testWrongType() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let text = ws.header() + "\n" + Workspace.commandJob("db", ["echo", "x"], extra: "compression_level = \"six\"")
        try assertConfigError(ws, text, mentions: ["compression_level"], lines: [lineNumber(of: "compression_level", in: text)])

        let text2 = ws.header() + "\n[[jobs]]\nname = \"db\"\nsource = \"command\"\ncommand = \"tar -cf - /etc\"\n"
        try assertConfigError(ws, text2, mentions: ["command"], lines: [lineNumber(of: "command = ", in: text2)])
    }

    func testDuplicateJobName() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let text = ws.header() + "\n" + Workspace.commandJob("db", ["echo", "x"]) + Workspace.commandJob("db", ["echo", "y"])
        // The second `name = "db"` (or its [[jobs]] header).
        let lines = [lineNumber(of: "name = \"db\"", in: text, occurrence: 2), lineNumber(of: "[[jobs]]", in: text, occurrence: 2)]
        try assertConfigError(ws, text, mentions: ["name", "db"], lines: lines)
    }

    func testUnknownRemote() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let text = ws.header() + "\n" + Workspace.commandJob("db", ["echo", "x"], extra: "remotes = [\"nowhere\"]")
        try assertConfigError(ws, text, mentions: ["remote", "nowhere"], lines: [lineNumber(of: "remotes = ", in: text)])
    }

    func testMissingRequiredKey() throws {
        let ws = try Workspace.make(for: self, "cfg")
        try ws.writeRawConfig(ws.header() + "\n[[jobs]]\nname = \"db\"\ncommand = [\"echo\", \"x\"]\n")
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "a job without `source`")
        XCTAssertTrue(r.output.contains("source"), "the message names the missing key\n\(r.summary)")
        XCTAssertTrue(r.output.contains(ws.configPath), "the message names the file\n\(r.summary)")
    }

    /// Every command refuses a bad config with 2, not only check-config.
    func testBackupRefusesBadConfig() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let text = ws.header() + "\n" + Workspace.commandJob("db", ["echo", "x"], extra: "compresion_level = 6")
        try assertConfigError(ws, text, mentions: ["compresion_level"], lines: [lineNumber(of: "compresion_level", in: text)], command: "backup")
        XCTAssertEqual(Files.list(ws.localDir), [], "nothing is written")
    }

    func testConfigWritableByOthersIsRefused() throws {
        let ws = try Workspace.make(for: self, "cfg")
        for mode in [0o620, 0o602] {
            try ws.writeRawConfig(ws.header() + "\n" + Workspace.commandJob("db", ["echo", "x"]), mode: mode)
            XCTAssertEqual(try Files.mode(ws.configPath), mode)
            let check = try ws.respaldo("check-config")
            assertExit(check, 2, String(format: "a config with mode %o", mode))
            XCTAssertTrue(check.output.contains(ws.configPath), "the message names the file\n\(check.summary)")
            assertExit(try ws.respaldo("backup", "db"), 2, String(format: "backup with a config of mode %o", mode))
            XCTAssertEqual(ws.snapshotIDs("db"), [], "nothing backed up")
        }
    }

    func testPasswordFileReadableByOthersIsRefused() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let pw = ws.path("pg.pass")
        try Files.write(pw, "secret\n", mode: 0o644)
        try ws.writeConfig("""
        [[jobs]]
        name = "pg"
        source = "postgres"
        database = "app"
        host = "127.0.0.1"
        user = "app"
        password_file = \(toml(pw))

        """)
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "a password file readable by others")
        XCTAssertTrue(r.output.contains(pw) || r.output.contains("password_file"), "the message names the file or key\n\(r.summary)")
        chmod(pw, 0o600)
        assertExit(try ws.respaldo("check-config"), 0, "the same config with the password file at 0600")
    }

    func testMissingConfigFile() throws {
        let ws = try Workspace.make(for: self, "cfg")
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "a config file that does not exist")
        XCTAssertTrue(r.output.contains(ws.configPath), r.summary)
    }

    func testUsageErrorExits2() throws {
        let ws = try Workspace.make(for: self, "cfg")
        try ws.writeConfig(Workspace.commandJob("db", ["echo", "x"]))
        assertExit(try ws.respaldo("backup", "--no-such-flag"), 2, "an unknown option is a usage error")
        let unknownJob = try ws.respaldo("backup", "no-such-job")
        XCTAssertNotEqual(unknownJob.exitCode, 0, "backing up a job that is not configured must fail\n\(unknownJob.summary)")
        XCTAssertTrue(unknownJob.output.contains("no-such-job"), unknownJob.summary)
    }
}
