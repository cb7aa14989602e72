#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with two condition variables, for the block workers and the thread that
/// feeds them. pthread objects must not move once initialised, so they live on the heap.
final class ConditionLock: @unchecked Sendable {
    enum Condition: Int {
        /// A block was queued, or the workers are asked to stop.
        case workAvailable = 0
        /// A worker finished a block.
        case blockFinished = 1
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let conditions: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        conditions = .allocate(capacity: 2)
        for index in 0..<2 { pthread_cond_init(conditions + index, nil) }
    }

    deinit {
        for index in 0..<2 { pthread_cond_destroy(conditions + index) }
        conditions.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Only inside `withLock`: releases the mutex until `condition` is signalled.
    func wait(_ condition: Condition) {
        pthread_cond_wait(conditions + condition.rawValue, mutex)
    }

    func broadcast(_ condition: Condition) {
        pthread_cond_broadcast(conditions + condition.rawValue)
    }
}
