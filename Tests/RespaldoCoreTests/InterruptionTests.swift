import Foundation
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif

@testable import RespaldoCore

/// The decisions behind SIGINT, SIGTERM and SIGHUP, on a registry of the test's own (the
/// process's is `Interruption`'s, and its signals are real).
final class InterruptionTests: XCTestCase {
    private func handlers(_ delivery: SignalRegistry.Delivery) -> [@Sendable (Int32) -> Void]? {
        if case let .interrupt(handlers) = delivery { return handlers }
        return nil
    }

    private func exits(_ delivery: SignalRegistry.Delivery) -> Bool {
        if case .exit = delivery { return true }
        return false
    }

    func testRegisteringAndUnregisteringFromManyThreadsAtOnceLosesNothing() throws {
        let registry = SignalRegistry()
        let calls = Mutex<[Int: Int32]>([:])
        let kept = Mutex<Set<Int>>([])
        DispatchQueue.concurrentPerform(iterations: 400) { index in
            let token = registry.register { signal in calls.withLock { $0[index] = signal } }
            if index % 2 == 0 {
                registry.unregister(token)
            } else {
                kept.withLock { _ = $0.insert(token) }
            }
        }
        XCTAssertEqual(kept.withLock { $0.count }, 200, "every token is distinct")
        XCTAssertEqual(registry.count, 200)

        let delivered = try XCTUnwrap(handlers(registry.deliver(SIGTERM, othersListening: { false })))
        XCTAssertEqual(delivered.count, 200)
        delivered.forEach { $0(SIGTERM) }
        XCTAssertEqual(calls.withLock { $0 }, Dictionary(uniqueKeysWithValues: (0..<200).map { (2 * $0 + 1, SIGTERM) }))

        for token in kept.withLock({ $0 }) { registry.unregister(token) }
        XCTAssertEqual(registry.count, 0)
    }

    func testTheFirstSignalInterruptsAndASecondExits() throws {
        let registry = SignalRegistry()
        _ = registry.register { _ in }
        XCTAssertEqual(try XCTUnwrap(handlers(registry.deliver(SIGINT, othersListening: { false }))).count, 1)
        XCTAssertTrue(exits(registry.deliver(SIGTERM, othersListening: { true })))
    }

    func testASignalNothingWouldNoticeExitsAtOnce() throws {
        XCTAssertTrue(exits(SignalRegistry().deliver(SIGTERM, othersListening: { false })))
        // The process token's handlers (a run in progress) are enough to be noticed.
        XCTAssertEqual(try XCTUnwrap(handlers(SignalRegistry().deliver(SIGTERM, othersListening: { true }))).count, 0)
    }

    func testWorkRegisteredAfterTheSignalIsInterruptedAtOnce() {
        let registry = SignalRegistry()
        _ = registry.deliver(SIGTERM, othersListening: { true })
        let seen = Mutex<Int32?>(nil)
        _ = registry.register { signal in seen.withLock { $0 = signal } }
        XCTAssertEqual(seen.withLock { $0 }, SIGTERM)
    }

    func testHangupGoesToItsHandlerAndInterruptsNothing() throws {
        let registry = SignalRegistry()
        XCTAssertTrue(exits(registry.deliver(SIGHUP, othersListening: { false })), "without a hangup handler SIGHUP is an interruption")

        let reloads = Mutex(0)
        let daemon = SignalRegistry()
        daemon.onHangup { reloads.withLock { $0 += 1 } }
        _ = daemon.register { _ in }
        for _ in 0..<2 {
            guard case let .hangup(reload) = daemon.deliver(SIGHUP, othersListening: { false }) else { return XCTFail("SIGHUP must reload") }
            reload()
        }
        XCTAssertEqual(reloads.withLock { $0 }, 2)
        // Hangups were not interruptions: the first SIGTERM still interrupts rather than exits.
        XCTAssertEqual(try XCTUnwrap(handlers(daemon.deliver(SIGTERM, othersListening: { false }))).count, 1)
    }
}
