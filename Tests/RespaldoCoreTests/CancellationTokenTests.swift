import Foundation
import Synchronization
import XCTest

@testable import RespaldoCore

final class CancellationTokenTests: XCTestCase {
    /// Counts calls and keeps the reasons seen.
    private final class Calls: Sendable {
        private let reasons = Mutex<[CancellationReason]>([])
        func record(_ reason: CancellationReason) { reasons.withLock { $0.append(reason) } }
        var all: [CancellationReason] { reasons.withLock { $0 } }
    }

    func testFirstReasonWinsAndHandlersRunOnce() {
        let token = CancellationToken()
        let calls = Calls()
        token.onCancel { calls.record($0) }
        XCTAssertFalse(token.isCancelled)
        XCTAssertTrue(token.cancel(reason: .signal(SIGTERM)))
        XCTAssertFalse(token.cancel(reason: .deadline(limit: 60)))
        XCTAssertEqual(token.reason, .signal(SIGTERM))
        XCTAssertEqual(calls.all, [.signal(SIGTERM)])
        XCTAssertThrowsError(try token.throwIfCancelled()) { error in
            XCTAssertEqual(error as? Cancelled, Cancelled(.signal(SIGTERM)))
        }
    }

    func testLateHandlerIsCalledAtOnceAndRemovedOneNever() {
        let token = CancellationToken()
        let calls = Calls()
        let removed = token.onCancel { _ in XCTFail("a removed handler must not run") }
        removed.remove()
        XCTAssertFalse(token.hasHandlers)
        token.cancel(reason: .deadline(limit: 2))
        token.onCancel { calls.record($0) }
        XCTAssertEqual(calls.all, [.deadline(limit: 2)], "registered after the cancellation: called before onCancel returns")
    }

    func testChildFollowsItsParentAndDetachUnlinksIt() {
        let parent = CancellationToken()
        let child = CancellationToken(parent: parent)
        XCTAssertTrue(parent.hasHandlers)
        let detached = CancellationToken(parent: parent)
        detached.detach()
        parent.cancel(reason: .signal(SIGINT))
        XCTAssertEqual(child.reason, .signal(SIGINT))
        XCTAssertFalse(detached.isCancelled, "a detached token no longer follows its parent")

        // A long-lived parent (the daemon's) keeps no handler of the runs that ended.
        let daemon = CancellationToken()
        for _ in 0..<100 { CancellationToken(parent: daemon, timeout: 60, clock: ManualDeadlineClock()).detach() }
        XCTAssertFalse(daemon.hasHandlers)
    }

    func testDeadlineFiresOnTheClock() {
        let clock = ManualDeadlineClock()
        let parent = CancellationToken()
        let token = CancellationToken(parent: parent, timeout: 6 * 3600, clock: clock)
        clock.advance(by: 6 * 3600 - 1)
        XCTAssertFalse(token.isCancelled)
        clock.advance(by: 1)
        XCTAssertEqual(token.reason, .deadline(limit: 6 * 3600))
        XCTAssertFalse(parent.isCancelled, "a child's deadline is its own")
        XCTAssertEqual(CancellationReason.deadline(limit: 6 * 3600).description, "exceeded its timeout of 6h")
    }

    func testDetachOrCancelDisarmsTheDeadline() {
        let clock = ManualDeadlineClock()
        let finished = CancellationToken(parent: nil, timeout: 10, clock: clock)
        finished.detach()
        let interrupted = CancellationToken(parent: nil, timeout: 10, clock: clock)
        interrupted.cancel(reason: .signal(SIGTERM))
        XCTAssertEqual(clock.pending, 0)
        clock.advance(by: 20)
        XCTAssertFalse(finished.isCancelled)
        XCTAssertEqual(interrupted.reason, .signal(SIGTERM))
    }

    func testDispatchClockFires() {
        let token = CancellationToken(parent: nil, timeout: 0.05)
        let fired = expectation(description: "deadline")
        token.onCancel { _ in fired.fulfill() }
        wait(for: [fired], timeout: 5)
        XCTAssertEqual(token.reason, .deadline(limit: 0.05))
    }

    func testDurationsFormatAsTheyAreWritten() throws {
        XCTAssertEqual(ConfigDuration.format(2), "2s")
        XCTAssertEqual(ConfigDuration.format(5400), "1h30m")
        XCTAssertEqual(ConfigDuration.format(86400), "1d")
        XCTAssertEqual(ConfigDuration.format(0.05), "0.05s")
        for text in ["6h", "1d12h", "90m", "45s"] {
            XCTAssertEqual(try ConfigDuration(ConfigDuration.format(try ConfigDuration(text).seconds)), try ConfigDuration(text), text)
        }
    }
}
