#if canImport(Glibc)
import Glibc
#endif

/// The one lock to wait on: what `Mutex<State>` (Synchronization) is for state that no thread
/// ever waits for, this is for state a thread blocks on until it says go on (a full or empty
/// queue, a worker with nothing to do, a result that has not come yet). As with `Mutex`, the
/// state lives inside the lock, so there is no way to reach it without holding the lock.
///
/// One condition variable serves every waiter: a change wakes them all, and each looks at the
/// state again. That costs a few wake-ups where two conditions would cost none, and saves
/// every caller from having to know which waiter a change concerns. Only `withLock` wakes
/// nobody: use it for reads, and for changes no waiter can be waiting for.
///
/// pthread objects, so that this target needs nothing of Foundation; they live on the heap,
/// since they must never move once initialised.
public final class ConditionLock<State: Sendable>: @unchecked Sendable {
    // @unchecked: `state` is touched only with `mutex` held, which pthread calls hide from the compiler.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var state: State

    public init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the state, waking nobody: a read, or a change no thread waits for.
    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Runs `body` with the state, then wakes every waiter to look at it again.
    public func change<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&state)
    }

    /// Blocks until `ready` holds, runs `body` in the same hold of the lock (so what `ready`
    /// saw is still true), then wakes every waiter: what `body` took or put may be what they
    /// wait for.
    public func wait<R>(until ready: (State) -> Bool, then body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        while !ready(state) { pthread_cond_wait(condition, mutex) }
        return try body(&state)
    }
}
