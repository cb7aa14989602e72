import Threading

#if canImport(Glibc)
import Glibc
#endif

/// Worker threads that compress block slots in the order they were queued. Plain pthreads, not
/// Swift concurrency: deflate is long CPU-bound work that would hold the few cooperative
/// threads, and a stopping pipeline must be able to join the workers.
///
/// A slot has one owner at a time, and it moves in a `HandOff`: the feeding thread gives it up
/// in `submit`, a worker takes it from the queue, and gives it back among the finished slots,
/// from which the feeding thread takes it again.
final class DeflateWorkerPool: Sendable {
    private struct State: Sendable {
        /// Slots waiting for a worker; those before `head` were taken.
        var queued: [HandOff<BlockSlot>] = []
        var head = 0
        /// Compressed slots (or failed ones, which say so), by sequence, until taken back.
        var finished: [Int: HandOff<BlockSlot>] = [:]
        var stopping = false
        var threads: [pthread_t] = []
    }

    private let state = ConditionLock(State())

    /// Starts one thread per deflater; each thread owns its deflater.
    init(deflaters: [any BlockDeflating]) throws(GzipError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        // deflate needs little stack; the default 8 MiB would only be address space, but
        // there is no reason to reserve it.
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        for deflater in deflaters {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, deflater: HandOff(deflater))).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { raw in
                guard let raw else { return nil }
                let context = Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue()
                DeflateWorkerPool.nameCurrentThread()
                context.pool.work(with: context.deflater.take())
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
                shutdown()
                throw .threadStartFailed(code: status)
            }
            state.withLock { $0.threads.append(thread) }
        }
    }

    /// Hands `slot` to the next free worker; the caller does not touch it until `takeFinished`
    /// returns it.
    func submit(_ slot: consuming BlockSlot) {
        let handOff = HandOff(slot)
        state.change { $0.queued.append(handOff) }
    }

    /// The slot of block `sequence` once a worker has finished it: nil if it has not yet, unless
    /// `waiting`, which blocks until it has. Only a submitted block may be waited for.
    func takeFinished(sequence: Int, waiting: Bool) -> BlockSlot? {
        let handOff = waiting
            ? state.wait(until: { $0.finished[sequence] != nil }, then: { $0.finished.removeValue(forKey: sequence) })
            : state.withLock { $0.finished.removeValue(forKey: sequence) }
        return handOff?.take()
    }

    /// Stops the workers and joins them. A worker in the middle of a block finishes that block
    /// first; queued blocks are dropped. Idempotent.
    func shutdown() {
        let joining = state.change { state -> [pthread_t] in
            state.stopping = true
            defer { state.threads = [] }
            return state.threads
        }
        for thread in joining { pthread_join(thread, nil) }
    }

    static let threadName = "respaldo-gzip"

    /// Names the thread for `top -H` and /proc (pthread_setname_np needs _GNU_SOURCE, which
    /// Swift's Glibc module does not define). Best effort: a name is not worth failing over.
    private static func nameCurrentThread() {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = threadName.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    private func work(with deflater: any BlockDeflating) {
        while let slot = nextSlot() {
            do {
                try deflater.compress(slot)
            } catch {
                slot.failure = error
            }
            let sequence = slot.sequence
            let handOff = HandOff(slot)
            state.change { $0.finished[sequence] = handOff }
        }
    }

    private func nextSlot() -> BlockSlot? {
        state.wait(until: { $0.head < $0.queued.count || $0.stopping }) { state -> HandOff<BlockSlot>? in
            if state.stopping { return nil }
            let slot = state.queued[state.head]
            state.head += 1
            // The queue may never drain while the feeder keeps up, so drop taken entries now
            // and then rather than only when it is empty: it holds at most a window of slots.
            if state.head >= 32 {
                state.queued.removeFirst(state.head)
                state.head = 0
            }
            return slot
        }?.take()
    }
}

/// What a worker thread needs: retained across pthread_create and released by the thread,
/// which takes the deflater for its own.
private final class WorkerContext: Sendable {
    let pool: DeflateWorkerPool
    let deflater: HandOff<any BlockDeflating>

    init(pool: DeflateWorkerPool, deflater: HandOff<any BlockDeflating>) {
        self.pool = pool
        self.deflater = deflater
    }
}
