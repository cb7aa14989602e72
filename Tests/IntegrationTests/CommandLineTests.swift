import Foundation
import XCTest

/// The command line itself: `--config` anywhere, `-V`, examples in help, and `restore --stdout`
/// refusing to pour binary onto a terminal.
final class CommandLineTests: XCTestCase {
    private func run(_ argv: [String], _ ws: Workspace) throws -> ProcessResult {
        try Subprocess.run([try Respaldo.binary()] + argv, environment: Respaldo.environment(home: ws.root), timeout: 60)
    }

    func testConfigIsAcceptedBeforeTheSubcommand() throws {
        let ws = try Workspace.make(for: self, "cli-config")
        try ws.writeConfig(Workspace.commandJob("db", ["echo", "data"]))
        let before = try run(["--config", ws.configPath, "check-config"], ws)
        assertExit(before, 0, "respaldo --config X check-config")
        XCTAssertTrue(before.stdoutText.contains("\(ws.configPath): ok"), before.summary)
        let equals = try run(["--config=\(ws.configPath)", "list"], ws)
        assertExit(equals, 0, "respaldo --config=X list")
        let missing = try run(["--config"], ws)
        assertExit(missing, 2, "--config without a value is a usage error")
    }

    func testVersionFlags() throws {
        let ws = try Workspace.make(for: self, "cli-version")
        for flag in ["-V", "--version"] {
            let r = try run([flag], ws)
            assertExit(r, 0, flag)
            XCTAssertTrue(matches(r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), #"^[0-9]+\.[0-9]+\.[0-9]+$"#), "\(flag) prints the version\n\(r.summary)")
        }
    }

    func testHelpShowsExamples() throws {
        let ws = try Workspace.make(for: self, "cli-help")
        for command in ["backup", "restore", "drill", "list", "prune", "check-config", "verify", "upload"] {
            let r = try run([command, "--help"], ws)
            assertExit(r, 0, "\(command) --help")
            XCTAssertTrue(r.stdoutText.contains("EXAMPLES") || r.stdoutText.contains("Examples:"), "\(command) --help has examples\n\(r.summary)")
            XCTAssertTrue(r.stdoutText.contains("respaldo \(command)"), "the examples are of \(command)\n\(r.summary)")
        }
    }

    func testRestoreToStandardOutputRefusesATerminal() throws {
        let ws = try Workspace.make(for: self, "cli-stdout")
        try ws.writeConfig(Workspace.commandJob("db", ["echo", "data"]))
        let id = try ws.backup("db")
        let tty = try PseudoTerminal.run(Respaldo.argv("restore", config: ws.configPath, [id, "--stdout"]), environment: Respaldo.environment(home: ws.root))
        XCTAssertEqual(tty.exitCode, 2, "restore --stdout onto a terminal is refused\n\(tty.summary)")
        XCTAssertTrue(tty.screen.contains { $0.contains("terminal") && $0.contains("--output") }, "it says why and what to do\n\(tty.summary)")
        XCTAssertFalse(tty.screen.contains("data"), tty.summary)
        let piped = try ws.respaldo("restore", id, "--stdout")
        assertExit(piped, 0, "restore --stdout into a pipe")
        XCTAssertEqual(piped.stdoutText, "data\n")
    }
}
