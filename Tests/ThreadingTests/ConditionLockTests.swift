import Foundation
import Threading
import XCTest

final class ConditionLockTests: XCTestCase {
    /// Runs `body` on a thread of its own; the returned lock says when it has returned.
    private func spawn(_ body: @escaping @Sendable () -> Void) -> ConditionLock<Bool> {
        let ended = ConditionLock(false)
        Thread {
            body()
            ended.change { $0 = true }
        }.start()
        return ended
    }

    func testChangesFromManyThreadsAreNeverLost() {
        let counter = ConditionLock(0)
        let threads = (0..<8).map { _ in spawn { for _ in 0..<10_000 { counter.change { $0 += 1 } } } }
        for ended in threads { ended.wait(until: { $0 }, then: { _ in }) }
        XCTAssertEqual(counter.withLock { $0 }, 80_000)
    }

    func testAWaiterGoesOnOnlyOnceTheStateSaysSo() {
        struct Gate: Sendable {
            var open = false
            var passed = false
        }
        let gate = ConditionLock(Gate())
        let ended = spawn { gate.wait(until: { $0.open }, then: { $0.passed = true }) }
        // However long it is given, the waiter cannot pass a closed gate.
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertFalse(ended.withLock { $0 })
        XCTAssertFalse(gate.withLock { $0.passed })
        gate.change { $0.open = true }
        ended.wait(until: { $0 }, then: { _ in })
        XCTAssertTrue(gate.withLock { $0.passed })
    }

    func testABoundedQueueHandsOverEveryItemInOrderAndNeverHoldsMoreThanItsCapacity() {
        struct Queue: Sendable {
            var items: [Int] = []
            var closed = false
            var largest = 0
        }
        let capacity = 3
        let queue = ConditionLock(Queue())
        let producer = spawn {
            for item in 0..<5_000 {
                queue.wait(until: { $0.items.count < capacity }, then: { queue in
                    queue.items.append(item)
                    queue.largest = max(queue.largest, queue.items.count)
                })
            }
            queue.change { $0.closed = true }
        }
        var received: [Int] = []
        while let item = queue.wait(until: { !$0.items.isEmpty || $0.closed }, then: { $0.items.isEmpty ? nil : $0.items.removeFirst() }) {
            received.append(item)
        }
        producer.wait(until: { $0 }, then: { _ in })
        XCTAssertEqual(received, Array(0..<5_000))
        XCTAssertLessThanOrEqual(queue.withLock { $0.largest }, capacity)
    }
}
