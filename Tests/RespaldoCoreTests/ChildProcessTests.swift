import Foundation
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif

@testable import RespaldoCore

/// Child processes and cancellation: a token stops a child and its group, a pipeline whose
/// source never ends is cut by a deadline on an injected clock, and a child forked for a
/// thread that has ended lives on (PR_SET_PDEATHSIG is tied to the spawner thread, not the
/// caller's).
final class ChildProcessTests: XCTestCase {
    private let env = dumpEnvironment(adding: [:])

    private func alive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 && ProcFS.startTicks(pid) != nil
    }

    func testCancellationStopsTheChildAndItsGroup() throws {
        let token = CancellationToken()
        let child = try ChildProcess(argv: ["sh", "-c", "sleep 30 & echo $!; wait"], environment: env, cancellation: token)
        let background = try XCTUnwrap(pid_t(firstOutput(child)))
        XCTAssertEqual(getpgid(background), child.pid, "what the child starts is in its group")
        token.cancel(reason: .deadline(limit: 1))
        XCTAssertEqual(child.wait(), .signaled(SIGTERM))
        XCTAssertTrue(waitUntilGone(background), "the group's other members are stopped too")
    }

    func testAChildIgnoringSIGTERMIsKilledAfterTheGrace() throws {
        let child = try ChildProcess(argv: ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"], environment: env)
        XCTAssertEqual(firstOutput(child), "ready")
        let started = Date()
        child.terminate()
        XCTAssertEqual(child.wait(), .signaled(SIGKILL))
        XCTAssertEqual(Date().timeIntervalSince(started), ChildProcess.killGrace, accuracy: 2)
    }

    func testStragglersOfAFinishedDumpAreKilled() throws {
        let child = try ChildProcess(argv: ["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"], environment: env, killsGroupOnExit: true)
        let straggler = try XCTUnwrap(pid_t(firstOutput(child)))
        XCTAssertEqual(child.wait(), .exited(0))
        XCTAssertTrue(waitUntilGone(straggler))
    }

    /// The dump exits 0 but a child keeps its stdout: the deadline still ends the pipeline.
    func testDeadlineCutsAPipelineWhoseInputNeverEnds() throws {
        let clock = ManualDeadlineClock()
        let token = CancellationToken(parent: nil, timeout: 3600, clock: clock)
        let child = try ChildProcess(argv: ["sh", "-c", "sleep 30 & echo data"], environment: env, cancellation: token, killsGroupOnExit: true)
        defer { child.terminate(); child.wait() }
        let pipeline = Pipeline(cancellation: token, onFailure: { child.terminate() })
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { clock.advance(by: 3600) }
        let started = Date()
        XCTAssertThrowsError(try pipeline.run(
            source: { emit in
                while true {
                    let chunk = try readChunk(from: child.stdoutFD, tool: "sh", until: { pipeline.hasFailed })
                    if chunk.isEmpty { break }
                    try emit(chunk)
                }
            },
            transforms: [HashTap()],
            consumer: { next in while try next() != nil {} })
        ) { error in
            XCTAssertEqual(error as? Cancelled, Cancelled(.deadline(limit: 3600)), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    /// PR_SET_PDEATHSIG fires when the forking *thread* ends: the child of a thread that has
    /// returned must live on.
    func testAChildOutlivesTheThreadThatStartedIt() throws {
        let started = DispatchSemaphore(value: 0)
        let slot = ChildSlot()
        let thread = Thread {
            slot.child = try? ChildProcess(argv: ["sleep", "30"], environment: dumpEnvironment(adding: [:]))
            started.signal()
        }
        thread.start()
        started.wait()
        usleep(300_000)  // the thread has returned by now
        let child = try XCTUnwrap(slot.child)
        XCTAssertTrue(alive(child.pid), "the child must not die with the thread that asked for it")
        child.terminate()
        XCTAssertEqual(child.wait(), .signaled(SIGTERM))
    }

    func testUnknownProgramIsASpawnError() {
        XCTAssertThrowsError(try ChildProcess(argv: ["respaldo-no-such-tool"], environment: env)) { error in
            XCTAssertTrue("\(error)".contains("respaldo-no-such-tool"), "\(error)")
        }
        XCTAssertThrowsError(try ChildProcess(argv: ["/etc/passwd"], environment: env)) { error in
            XCTAssertTrue("\(error)".contains("ermission"), "exec's own failure is reported: \(error)")
        }
    }

    /// Every child is forked by the one spawner thread: callers on many threads at once each
    /// get their own child, and two threads waiting for the same child see the same end.
    func testChildrenAskedForFromManyThreadsAtOnceEachRunAndEndOnce() throws {
        let ends = Mutex<[Int32: [ChildProcess.Termination]]>([:])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            guard let child = try? ChildProcess(argv: ["sh", "-c", "exit \(index)"], environment: dumpEnvironment(adding: [:])) else { return }
            let waiters = DispatchGroup()
            for _ in 0..<2 {
                DispatchQueue.global().async(group: waiters) {
                    let end = child.wait()
                    ends.withLock { $0[Int32(index), default: []].append(end) }
                }
            }
            waiters.wait()
        }
        let seen = ends.withLock { $0 }
        XCTAssertEqual(seen.count, 8)
        for (code, terminations) in seen { XCTAssertEqual(terminations, [.exited(code), .exited(code)]) }
    }

    /// The tool's last lines go to the error that reports its failure, once it closed stderr;
    /// the lines they pushed out were logged as they came.
    func testStderrOfAFailedToolGoesToTheErrorAndWhatCameBeforeToTheLog() throws {
        let capture = LogCapture()
        let child = try ChildProcess(argv: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo line$i >&2; done; exit 3"], environment: env)
        let stderr = StderrCollector(fd: child.stderrFD, tool: "sh", logger: capture.logger())
        XCTAssertEqual(child.wait(), .exited(3))
        XCTAssertEqual(stderr.finalTail(), "line4 | line5 | line6 | line7 | line8")
        XCTAssertEqual(capture.text, "warning: sh: line1\nwarning: sh: line2\nwarning: sh: line3")
    }

    /// What the child wrote first (one read: the child's first line, as it echoes it at once).
    private func firstOutput(_ child: ChildProcess) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(child.stdoutFD, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func waitUntilGone(_ pid: pid_t) -> Bool {
        for _ in 0..<100 where ProcFS.startTicks(pid) != nil { usleep(50_000) }
        return ProcFS.startTicks(pid) == nil
    }
}

/// Hands the child from the spawning thread to the test (written before the semaphore is
/// signalled, read after the wait).
private final class ChildSlot: @unchecked Sendable {
    var child: ChildProcess?
}
