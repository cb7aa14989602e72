import Foundation
import Threading

/// Raised inside a pipeline stage when another stage failed first; never reaches the caller.
struct PipelineCancelled: Error {}

/// A blocking FIFO of fixed capacity between two pipeline threads. The capacity is what bounds
/// memory: a fast producer waits for a slow consumer instead of buffering the dump.
final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State: Sendable {
        /// At most `capacity` elements (a handful), so removing from the front is cheap; a taken
        /// element must not stay referenced here, or the queue would pin chunks it no longer holds.
        var items: [Element] = []
        var closed = false
        var cancelled = false
    }

    private let state = ConditionLock(State())
    private let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Blocks while the queue is full.
    func put(_ element: Element) throws {
        try state.wait(until: { $0.items.count < capacity || $0.cancelled }) { state in
            if state.cancelled { throw PipelineCancelled() }
            precondition(!state.closed, "put after close")
            state.items.append(element)
        }
    }

    /// The next element; nil once the producer closed the queue and it is drained.
    func take() throws -> Element? {
        try state.wait(until: { !$0.items.isEmpty || $0.closed || $0.cancelled }) { state in
            if state.cancelled { throw PipelineCancelled() }
            return state.items.isEmpty ? nil : state.items.removeFirst()
        }
    }

    /// The producer is done; the consumer drains what is left and then sees nil.
    func close() {
        state.change { $0.closed = true }
    }

    /// Wakes everyone with PipelineCancelled; what is queued is dropped.
    func cancel() {
        state.change { state in
            state.cancelled = true
            state.items.removeAll()
        }
    }
}
