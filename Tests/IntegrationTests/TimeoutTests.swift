import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A job's `timeout` (issue 14, item 5): a dump that hangs, or a child that keeps the dump's
/// stdout open after the dump itself exited 0, is cut at the deadline like SIGTERM. The run
/// fails loudly, leaves no file and no process, and is on record as a failure.
final class TimeoutTests: XCTestCase {
    /// A `sleep` whose argument is unique to this test, so its processes can be found in /proc
    /// (GNU sleep takes fractional seconds).
    private func uniqueSleep() -> String { "1000.\(UInt32.random(in: 100_000...999_999))" }

    /// Waits until a process with `argument` runs; its pid.
    private func waitForProcess(_ argument: String, seconds: Double = 15) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let pid = processes(withArgument: argument).first { return pid }
            usleep(50_000)
        }
        return nil
    }

    /// Asserts the failed timed-out run: exit 1 promptly, the message, no file, no process.
    private func assertCut(_ r: ProcessResult, _ ws: Workspace, job: String, limit: String, dumpPID: pid_t?, marker: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        assertExit(r, 1, "a run past its timeout fails", file: file, line: line)
        XCTAssertLessThan(r.seconds, 20, "the run must end at its timeout (plus the kill grace), not wait for the dump\n\(r.summary)", file: file, line: line)
        XCTAssertTrue(r.stderrText.contains("exceeded its timeout of \(limit)"), "the message says the job exceeded its timeout\n\(r.summary)", file: file, line: line)
        XCTAssertTrue(r.stderrText.contains(job), "the message names the job\n\(r.summary)", file: file, line: line)
        XCTAssertEqual(r.stdoutLines, [], "no snapshot id is printed\n\(r.summary)", file: file, line: line)
        XCTAssertEqual(Files.list(ws.jobDir(job)), [], "no file of the cut run may remain", file: file, line: line)
        XCTAssertEqual(ws.partialFiles(), [], "no .partial file may remain", file: file, line: line)
        XCTAssertFalse(Files.exists(ws.stateDir + "/run/\(job)"), "the run's secret folder is removed", file: file, line: line)
        if let dumpPID {
            XCTAssertTrue(waitGone(dumpPID, seconds: 2), "the dump (pid \(dumpPID)) must not outlive the run", file: file, line: line)
        }
        XCTAssertEqual(processes(withArgument: marker), [], "no process of the dump's group may remain", file: file, line: line)
    }

    /// The run state says why the run failed (what `status` and the alerts show).
    private func assertRecordedFailure(_ ws: Workspace, job: String, limit: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let status = try ws.respaldo("status", "--json")
        try requireExit(status, 0, "status --json")
        let jobs = try XCTUnwrap((try parseJSON(status.stdoutText, "status") as? [String: Any])?["jobs"] as? [[String: Any]], file: file, line: line)
        let last = try XCTUnwrap(jobs.first { $0["job"] as? String == job }?["last_run"] as? [String: Any], "a last run is on record\n\(status.stdoutText)", file: file, line: line)
        XCTAssertEqual(last["success"] as? Bool, false, status.stdoutText, file: file, line: line)
        XCTAssertTrue((last["error"] as? String ?? "").contains("exceeded its timeout of \(limit)"), status.stdoutText, file: file, line: line)
    }

    /// A dump that never ends.
    func testHungDumpIsCutAtItsTimeout() throws {
        let ws = try Workspace.make(for: self, "timeout")
        let marker = uniqueSleep()
        try ws.writeConfig(Workspace.commandJob("hung", ["sleep", marker], extra: "timeout = \"2s\""))
        let run = try ws.startRespaldo("backup", "hung", timeout: 60)
        let dump = waitForProcess(marker)
        XCTAssertNotNil(dump, "the dump should be running: \(run.stderrSoFar)")
        if let dump {
            // Its own process group, so that stopping it reaches whatever it started.
            XCTAssertEqual(getpgid(dump), dump, "the dump leads its own process group")
        }
        let r = run.wait()
        assertCut(r, ws, job: "hung", limit: "2s", dumpPID: dump, marker: marker)
        try assertRecordedFailure(ws, job: "hung", limit: "2s")

        // The lock is free and the job works once the dump does.
        try ws.writeConfig(Workspace.commandJob("hung", ["echo", "quick"], extra: "timeout = \"2s\""))
        _ = try ws.backup("hung")
    }

    /// The dump exits 0 but leaves a child holding its stdout: the stream never ends.
    func testChildKeepingStdoutOpenIsCutAtTheTimeout() throws {
        let ws = try Workspace.make(for: self, "timeout-pipe")
        let marker = uniqueSleep()
        try ws.writeConfig(Workspace.commandJob("held", ["sh", "-c", "sleep \(marker) & echo data"], extra: "timeout = \"2s\""))
        let run = try ws.startRespaldo("backup", "held", timeout: 60)
        let straggler = waitForProcess(marker)
        XCTAssertNotNil(straggler, "the background sleep should be running: \(run.stderrSoFar)")
        let r = run.wait()
        assertCut(r, ws, job: "held", limit: "2s", dumpPID: straggler, marker: marker)
    }

    /// A bad `timeout` is a configuration error naming the key and its line.
    func testBadTimeoutIsAConfigError() throws {
        let ws = try Workspace.make(for: self, "timeout-config")
        try ws.writeConfig(Workspace.commandJob("db", ["echo", "x"], extra: "timeout = \"soon\""))
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "a timeout that is not a duration")
        let text = String(decoding: try Files.read(ws.configPath), as: UTF8.self)
        let line = try XCTUnwrap(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("timeout") }) + 1
        XCTAssertTrue(r.stderrText.contains("\"timeout\"") && r.stderrText.contains(":\(line):"), "names the key and its line (\(line))\n\(r.summary)")
    }
}
