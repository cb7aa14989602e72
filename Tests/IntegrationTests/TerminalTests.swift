import Foundation
import XCTest

/// What an operator at a terminal sees, under a real pseudo terminal (`script`): log lines
/// never collide with the progress line, the meter's last line comes before the log line that
/// follows it, progress shows for the dump (with an estimate from the previous snapshot), the
/// upload and the download, and each error appears once.
final class TerminalTests: XCTestCase {
    /// A log line as the handler writes it on a terminal.
    private static let logLine = #"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} (info|warning|error):"#

    /// A dump of four pieces, a bit slow, whose tool writes ten lines on stderr early on:
    /// the warnings are logged while the progress line is on screen.
    private func slowJob(_ name: String, pieces: Int = 4) -> String {
        Workspace.commandJob(name, ["sh", "-c", """
            for i in 1 2 3 4 5 6 7 8 9 10; do echo "note $i from the dump" >&2; done
            for i in $(seq \(pieces)); do head -c 1000000 /dev/urandom; sleep 0.6; done
            """])
    }

    private func run(_ ws: Workspace, _ args: [String], columns: Int = 120) throws -> PseudoTerminal.Result {
        try PseudoTerminal.run(Respaldo.argv(args[0], config: ws.configPath, Array(args.dropFirst())),
                               environment: Respaldo.environment(home: ws.root), columns: columns)
    }

    func testLogLinesNeverShareALineWithTheProgressLine() throws {
        let ws = try Workspace.make(for: self, "tty-collide")
        try ws.writeConfig(slowJob("slow"))
        let r = try run(ws, ["backup", "slow"], columns: 100)
        XCTAssertEqual(r.exitCode, 0, r.summary)
        let screen = r.screen
        XCTAssertTrue(screen.contains { $0.contains("note 1 from the dump") }, "the dump's stderr is logged\n\(r.summary)")
        for line in screen where matches(line, Self.logLine) {
            XCTAssertTrue(matches(line, "^" + Self.logLine), "a log line shares its line with something else: \(line)\n\(r.summary)")
        }
        XCTAssertTrue(r.drawn.contains { $0.hasPrefix("backup slow-") && $0.contains(": sh: ") }, "a progress line was drawn\n\(r.summary)")
        // The meter's final line stays on screen, and comes before the "complete" log line.
        let progress = screen.lastIndex { $0.hasPrefix("backup slow-") && $0.contains(": sh: ") }
        let complete = screen.firstIndex { $0.contains("complete:") }
        XCTAssertNotNil(progress, "the final progress line stays on screen\n\(r.summary)")
        XCTAssertNotNil(complete, r.summary)
        if let progress, let complete {
            XCTAssertLessThan(progress, complete, "the progress line was drawn again after \"complete\"\n\(r.summary)")
        }
        let widest = r.drawn.filter { $0.hasPrefix("backup slow-") }.map(\.count).max() ?? 0
        XCTAssertLessThan(widest, 100, "a progress line wider than the terminal wraps, and \\r cannot erase it\n\(r.summary)")
    }

    func testDumpShowsPercentAndTimeLeftFromThePreviousSnapshot() throws {
        let ws = try Workspace.make(for: self, "tty-eta")
        try ws.writeConfig(slowJob("slow", pieces: 5))
        _ = try ws.backup("slow")
        let r = try run(ws, ["backup", "slow"])
        XCTAssertEqual(r.exitCode, 0, r.summary)
        let meter = r.drawn.filter { $0.hasPrefix("backup slow-") }
        XCTAssertTrue(meter.contains { $0.contains("% of the last dump") }, "the previous snapshot's size gives a percentage\n\(r.summary)")
        XCTAssertTrue(meter.contains { $0.contains(" left") }, "and an estimate of the time left\n\(r.summary)")
    }

    func testEachErrorOfAFailedDumpIsPrintedOnce() throws {
        let ws = try Workspace.make(for: self, "tty-once")
        try ws.writeConfig(Workspace.commandJob("bad", ["sh", "-c", "echo partial; echo 'FATAL: role \"nobody-here\" does not exist' >&2; exit 1"])
            + Workspace.commandJob("worse", ["sh", "-c", "echo partial; echo 'disk on fire' >&2; exit 3"]))
        let one = try run(ws, ["backup", "bad"])
        XCTAssertEqual(one.exitCode, 1, one.summary)
        XCTAssertEqual(one.screen.filter { $0.contains("nobody-here") }.count, 1, "one job, one error, printed once\n\(one.summary)")

        let both = try run(ws, ["backup"])
        XCTAssertEqual(both.exitCode, 1, both.summary)
        XCTAssertEqual(both.screen.filter { $0.contains("nobody-here") }.count, 1, "several jobs: each error once\n\(both.summary)")
        XCTAssertEqual(both.screen.filter { $0.contains("disk on fire") }.count, 1, both.summary)
        XCTAssertTrue(both.screen.last?.contains("bad, worse") ?? false, "the command's own error names the jobs\n\(both.summary)")
    }

    func testUploadAndDownloadShowProgressNamingTheSnapshotAndTheRemote() throws {
        let setup = try RemoteSetup.make(for: self, "tty-upload")
        let ws = setup.ws
        let source = ws.path("dump.bin")
        try Subprocess.checked(["sh", "-c", "head -c 6000000 /dev/urandom > \(shellQuote(source))"])
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source)
        let r = try run(ws, ["backup", "db"])
        XCTAssertEqual(r.exitCode, 0, r.summary)
        guard let id = r.screen.first(where: { matches($0, snapshotIDPattern) }) else { return XCTFail(r.summary) }
        XCTAssertTrue(r.drawn.contains { $0.hasPrefix("upload \(id) to geo: ") && $0.contains("100%") }, "upload progress\n\(r.summary)")

        let restored = ws.path("restored.bin")
        let download = try run(ws, ["restore", id, "--remote", "geo", "--identity", setup.key.identityPath, "--output", restored])
        XCTAssertEqual(download.exitCode, 0, download.summary)
        XCTAssertTrue(download.drawn.contains { $0.hasPrefix("restore \(id) from geo: ") && $0.contains("%") }, "download progress\n\(download.summary)")
        XCTAssertEqual(try Files.sha256(restored), try Files.sha256(source))
    }

    func testAnUploadFailureIsPrintedOnceAndNamesTheRemoteAndTheSnapshot() throws {
        let setup = try RemoteSetup.make(for: self, "tty-upfail")
        let ws = setup.ws
        let source = ws.path("dump.bin")
        try Files.write(source, String(repeating: "x", count: 100_000))
        // A remote on a port where nothing listens.
        let dead = setup.remote("geo").replacingOccurrences(of: "127.0.0.1:\(setup.sshd.port)", with: "127.0.0.1:\(try freeTCPPort())")
        try setup.writeConfig(remotes: [dead], jobRemotes: ["geo"], source: source)
        let r = try run(ws, ["backup", "db"])
        XCTAssertEqual(r.exitCode, 1, r.summary)
        let errors = r.screen.filter { $0.contains("Couldn't connect") || $0.contains("connect to") }
        XCTAssertEqual(errors.count, 1, "the upload failure is printed once\n\(r.summary)")
        XCTAssertTrue(errors.first.map { $0.contains("geo") && $0.contains("db-") } ?? false, "it names the remote and the snapshot\n\(r.summary)")
    }
}
