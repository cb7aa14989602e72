import Foundation

/// Raised inside a pipeline stage when another stage failed first; never reaches the caller.
struct PipelineCancelled: Error {}

/// A blocking FIFO of fixed capacity between two pipeline threads. The capacity is what bounds
/// memory: a fast producer waits for a slow consumer instead of buffering the dump.
final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    /// At most `capacity` elements (a handful), so removing from the front is cheap; a taken
    /// element must not stay referenced here, or the queue would pin chunks it no longer holds.
    private var items: [Element] = []
    private let capacity: Int
    private var closed = false
    private var cancelled = false

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Blocks while the queue is full.
    func put(_ element: Element) throws {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { throw PipelineCancelled() }
        precondition(!closed, "put after close")
        items.append(element)
        condition.broadcast()
    }

    /// The next element; nil once the producer closed the queue and it is drained.
    func take() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed && !cancelled { condition.wait() }
        if cancelled { throw PipelineCancelled() }
        if items.isEmpty { return nil }
        let element = items.removeFirst()
        condition.broadcast()
        return element
    }

    /// The producer is done; the consumer drains what is left and then sees nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes everyone with PipelineCancelled; what is queued is dropped.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
