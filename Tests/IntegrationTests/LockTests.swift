import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Scenario 9: a second concurrent run of the same job exits 75; the first one succeeds.
final class LockTests: XCTestCase {
    /// PIDs whose parent is `pid` (from /proc).
    private func children(of pid: pid_t) -> [pid_t] {
        Files.list("/proc").compactMap { pid_t($0) }.filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid
        }
    }

    func testConcurrentRunOfTheSameJobExits75() throws {
        let ws = try Workspace.make(for: self, "lock")
        try ws.writeConfig(
            Workspace.commandJob("slow", ["sh", "-c", "sleep 3; head -c 100000 /dev/urandom"])
                + Workspace.commandJob("other", ["echo", "another job"]))

        let first = try ws.startRespaldo("backup", "slow")
        // Wait until the first run has started its dump (so it holds the lock).
        let deadline = Date().addingTimeInterval(15)
        while children(of: first.pid).isEmpty && processIsAlive(first.pid) && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(children(of: first.pid).isEmpty, "the first backup never started its dump command")

        let second = try ws.respaldo("backup", "slow", timeout: 30)
        assertExit(second, 75, "a second run of a job whose lock is held")
        XCTAssertTrue(second.stdoutLines.filter { matches($0, snapshotIDPattern) }.isEmpty, second.summary)
        XCTAssertTrue(processIsAlive(first.pid), "the second run must have overlapped the first (it ran too long?)")

        // Another job is not blocked by this job's lock.
        let other = try ws.respaldo("backup", "other", timeout: 30)
        assertExit(other, 0, "a different job runs while `slow` is locked")

        let r = first.wait()
        assertExit(r, 0, "the first run completes")
        XCTAssertEqual(r.stdoutLines.count, 1, r.summary)
        XCTAssertEqual(ws.snapshotIDs("slow"), r.stdoutLines, "exactly the first run's snapshot exists")
        XCTAssertEqual(ws.partialFiles(), [])
        if let id = r.stdoutLines.first {
            assertExit(try ws.respaldo("verify", id), 0, "verify the first run's snapshot")
        }

        // The lock is released at exit: a later run works.
        try ws.writeConfig(Workspace.commandJob("slow", ["echo", "quick now"]))
        assertExit(try ws.respaldo("backup", "slow"), 0, "a run after the lock holder exited")
    }
}
