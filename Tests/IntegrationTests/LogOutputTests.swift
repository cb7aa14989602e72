import Foundation
import XCTest

/// Log lines: syslog priority prefixes under systemd, readable lines elsewhere.
final class LogOutputTests: XCTestCase {
    func testJournaldModePrefixesSyslogPriorities() throws {
        let ws = try Workspace.make(for: self, "journal")
        try ws.writeConfig(
            Workspace.commandJob("ok", ["echo", "fine"])
                + Workspace.commandJob("warns", ["sh", "-c", "echo complaint >&2; echo data"])
                + Workspace.commandJob("bad", ["sh", "-c", "echo last words >&2; exit 4"]))
        var env = Respaldo.environment(home: ws.root)
        env["JOURNAL_STREAM"] = "8:12345"
        let ok = try Subprocess.run(Respaldo.argv("backup", config: ws.configPath, ["ok"]), environment: env, timeout: 60)
        try requireExit(ok, 0, "backup ok")
        XCTAssertTrue(ok.stderrText.split(separator: "\n").contains { $0.hasPrefix("<6>backup ok-") }, "info lines carry <6>:\n\(ok.stderrText)")

        let warns = try Subprocess.run(Respaldo.argv("backup", config: ws.configPath, ["warns"]), environment: env, timeout: 60)
        try requireExit(warns, 0, "backup warns")
        XCTAssertTrue(warns.stderrText.contains("<4>sh: complaint"), "the dump's stderr is logged as a warning:\n\(warns.stderrText)")
        // A failing tool's last words go into the error that reports it, once.
        let bad = try Subprocess.run(Respaldo.argv("backup", config: ws.configPath, ["bad"]), environment: env, timeout: 60)
        try requireExit(bad, 1, "backup bad")
        XCTAssertEqual(bad.stderrText.components(separatedBy: "last words").count, 2, "the tool's stderr is in the error, once:\n\(bad.stderrText)")

        let plain = try ws.respaldo("backup", "ok")
        XCTAssertFalse(plain.stderrText.contains("<6>"), "no priority prefixes outside systemd:\n\(plain.stderrText)")
        XCTAssertTrue(plain.stderrText.contains(" info: backup ok-"), plain.stderrText)
    }
}
