import Foundation
import TestFixtures
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The daemon with `max_parallel = 1` and a job that hangs (issue 14, item 5): the hung run is
/// cut at its timeout and recorded as a failure, the other job, which waited for the slot (and
/// is logged as waiting, not as skipped), runs next; `status` and systemd's STATUS say what is
/// running and since when.
///
/// No real minute is waited for: both jobs are due at 03:00 and their run state says they last
/// succeeded three days ago, so the daemon's catch-up makes both due the moment it starts.
final class DaemonTimeoutTests: XCTestCase {
    func testAHungJobIsCutAndTheNextOneRuns() throws {
        let ws = try Workspace.make(for: self, "daemon-timeout")
        let marker = "1000.\(UInt32.random(in: 100_000...999_999))"
        try ws.writeConfig(
            Workspace.commandJob("a-hung", ["sleep", marker], extra: "schedule = \"03:00\"\ntimeout = \"4s\"")
                + Workspace.commandJob("b-quick", ["echo", "quick"], extra: "schedule = \"03:00\""))
        try ws.seedRunState(job: "a-hung", lastSuccessDaysAgo: 3)
        try ws.seedRunState(job: "b-quick", lastSuccessDaysAgo: 3)

        let listener = try NotifyListener(folder: ws.root)
        let daemon = try Subprocess(
            Respaldo.argv("daemon", config: ws.configPath, []),
            environment: Respaldo.environment(home: ws.root).merging(["NOTIFY_SOCKET": listener.address]) { $1 },
            timeout: 60)
        defer { kill(daemon.pid, SIGTERM); _ = daemon.wait() }
        var notifications: [String] = []

        // a-hung runs first (same scheduled time: by name); b-quick waits for the slot.
        let hungRunning = waitUntil(15) {
            notifications += listener.drain(for: 0.05)
            return !processes(withArgument: marker).isEmpty
        }
        XCTAssertTrue(hungRunning, "a-hung should be dumping: \(daemon.stderrSoFar)")
        let status = try ws.respaldo("status", "--json")
        try requireExit(status, 0, "status --json while a-hung runs")
        let jobs = try XCTUnwrap((try parseJSON(status.stdoutText, "status") as? [String: Any])?["jobs"] as? [[String: Any]])
        let hung = try XCTUnwrap(jobs.first { $0["job"] as? String == "a-hung" })
        let running = try XCTUnwrap(hung["running"] as? [String: Any], "status says a-hung is running: \(status.stdoutText)")
        XCTAssertNotNil(running["since"] as? String, status.stdoutText)
        XCTAssertNil(jobs.first { $0["job"] as? String == "b-quick" }?["running"] as? [String: Any], "b-quick is not running yet: \(status.stdoutText)")
        let text = try ws.respaldo("status")
        XCTAssertTrue(text.stdoutText.contains("running:") && text.stdoutText.contains("since"), text.summary)

        // Cut at 4 s; then b-quick gets the slot.
        let quickDone = waitUntil(25) {
            notifications += listener.drain(for: 0.05)
            return ws.snapshotIDs("b-quick").count == 1
        }
        XCTAssertTrue(quickDone, "b-quick must run once a-hung is cut: \(daemon.stderrSoFar)")
        let log = daemon.stderrSoFar
        XCTAssertTrue(log.contains("b-quick") && log.contains("waiting for a free slot"), "b-quick is logged as waiting for a slot:\n\(log)")
        XCTAssertFalse(log.contains("b-quick: its run") && log.contains("skipped"), "b-quick was never skipped:\n\(log)")
        XCTAssertTrue(log.contains("a-hung") && log.contains("exceeded its timeout of 4s"), "the cut run is logged:\n\(log)")
        XCTAssertTrue(notifications.contains { $0.contains("STATUS=running a-hung since") }, "STATUS says what runs since when: \(notifications)")
        XCTAssertEqual(processes(withArgument: marker), [], "the hung dump is gone")
        XCTAssertEqual(ws.snapshotIDs("a-hung"), [])
        XCTAssertEqual(ws.partialFiles(), [])

        let after = try ws.respaldo("status", "--json")
        let afterJobs = try XCTUnwrap((try parseJSON(after.stdoutText, "status") as? [String: Any])?["jobs"] as? [[String: Any]])
        let hungAfter = try XCTUnwrap(afterJobs.first { $0["job"] as? String == "a-hung" })
        let last = try XCTUnwrap(hungAfter["last_run"] as? [String: Any])
        XCTAssertEqual(last["success"] as? Bool, false, after.stdoutText)
        XCTAssertTrue((last["error"] as? String ?? "").contains("exceeded its timeout of 4s"), after.stdoutText)
        XCTAssertTrue(hungAfter["running"] is NSNull, "nothing runs any more: \(after.stdoutText)")

        kill(daemon.pid, SIGTERM)
        assertExit(daemon.wait(), 0, "SIGTERM stops the daemon")
    }
}
