#if canImport(Glibc)
import Glibc
#endif

/// Worker threads that compress queued block slots in the order they were queued. Plain
/// pthreads, not Swift concurrency: deflate is long CPU-bound work that would hold the few
/// cooperative threads, and a stopping pipeline must be able to join the workers.
final class DeflateWorkerPool: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [BlockSlot] = []
    private var queueHead = 0
    private var stopping = false
    private var threads: [pthread_t] = []

    /// Starts one thread per deflater; each thread owns its deflater.
    init(deflaters: [any BlockDeflating]) throws(GzipError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        // deflate needs little stack; the default 8 MiB would only be address space, but
        // there is no reason to reserve it.
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        for deflater in deflaters {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, deflater: deflater)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { raw in
                guard let raw else { return nil }
                let context = Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue()
                DeflateWorkerPool.nameCurrentThread()
                context.pool.work(with: context.deflater)
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
                shutdown()
                throw .threadStartFailed(code: status)
            }
            threads.append(thread)
        }
    }

    /// Hands `slot` to the next free worker.
    func submit(_ slot: BlockSlot) {
        lock.withLock {
            slot.isDone = false
            queue.append(slot)
            lock.broadcast(.workAvailable)
        }
    }

    func isDone(_ slot: BlockSlot) -> Bool {
        lock.withLock { slot.isDone }
    }

    /// Blocks until a worker has finished `slot`.
    func waitUntilDone(_ slot: BlockSlot) {
        lock.withLock {
            while !slot.isDone { lock.wait(.blockFinished) }
        }
    }

    /// Stops the workers and joins them. A worker in the middle of a block finishes that block
    /// first; queued blocks are dropped. Idempotent.
    func shutdown() {
        let joining: [pthread_t] = lock.withLock {
            stopping = true
            lock.broadcast(.workAvailable)
            defer { threads = [] }
            return threads
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
            lock.withLock {
                slot.isDone = true
                lock.broadcast(.blockFinished)
            }
        }
    }

    private func nextSlot() -> BlockSlot? {
        lock.withLock {
            while queueHead == queue.count && !stopping { lock.wait(.workAvailable) }
            if stopping { return nil }
            let slot = queue[queueHead]
            queueHead += 1
            // The queue may never drain while the feeder keeps up, so drop taken entries now
            // and then rather than only when it is empty: it holds at most a window of slots.
            if queueHead >= 32 {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            return slot
        }
    }
}

/// What a worker thread needs; retained across pthread_create and released by the thread.
private final class WorkerContext: @unchecked Sendable {
    let pool: DeflateWorkerPool
    let deflater: any BlockDeflating

    init(pool: DeflateWorkerPool, deflater: any BlockDeflating) {
        self.pool = pool
        self.deflater = deflater
    }
}
