import Foundation
import Logging
import Storage
import Threading

/// `upload = "streaming"`: the artifact goes to the remotes while it is being written locally,
/// one thread and one bounded queue per remote, each to the remote's `.partial` name. A remote
/// publishes (renames) only when the stream ends, which happens only after the dump was found
/// good; the remote manifest still comes after the local one (`publishManifests`).
///
/// A remote that fails drops out without slowing the others or the local copy; the caller then
/// uploads that snapshot the ordinary way (retries, resume) or leaves it pending. A failure of
/// the local copy cancels every remote, whose `.partial` is removed.
final class StreamingUpload: Sendable {
    private final class Lane: Sendable {
        struct State: Sendable {
            var error: (any Error)?
            /// The sender stopped feeding this lane (its uploader failed).
            var dropped = false
            /// Set once the remote renamed its `.partial` into place. A published lane is not
            /// cancelled (cancelling a store is final, and the caller may still have to delete
            /// what it published).
            var published = false
            var ended = false
        }

        let store: any CancellableStore
        let queue = BoundedQueue<[UInt8]>(capacity: 8)
        let state = ConditionLock(State())

        init(store: any CancellableStore) { self.store = store }
    }

    private let lanes: [Lane]
    private let logger: Logger

    /// Starts one uploader thread per remote, writing `name`.
    init(remotes: [any CancellableStore], name: String, logger: Logger) {
        self.logger = logger
        lanes = remotes.map { Lane(store: $0) }
        for lane in lanes {
            let thread = Thread {
                defer { lane.state.change { $0.ended = true } }
                do {
                    try lane.store.put(name, expectedSize: nil, reader: ChunkReader { try lane.queue.take() }.fill)
                    lane.state.withLock { $0.published = true }
                } catch {
                    lane.state.withLock { $0.error = error }
                    lane.queue.cancel()
                }
            }
            thread.name = "respaldo-stream-\(lane.store.location)"
            thread.start()
        }
    }

    /// Hands a chunk to every remote still in the race (blocking while a remote's queue is full).
    func send(_ chunk: [UInt8]) {
        for lane in lanes where !lane.state.withLock({ $0.dropped }) {
            do { try lane.queue.put(chunk) } catch { lane.state.withLock { $0.dropped = true } }
        }
    }

    /// The artifact is complete: each remote renames its `.partial` into place.
    func finish() {
        for lane in lanes { lane.queue.close() }
    }

    /// The local copy failed: every remote stops and removes its `.partial`.
    func abort() {
        for lane in lanes {
            lane.queue.cancel()
            lane.state.withLock { if !$0.published { lane.store.cancel() } }
        }
    }

    /// Waits for every remote; the error of each that failed, by location.
    func wait() -> [String: any Error] {
        var failures: [String: any Error] = [:]
        for lane in lanes {
            if let error = lane.state.wait(until: { $0.ended }, then: { $0.error }) {
                failures[lane.store.location] = error
                logger.warning("streaming upload to \(lane.store.location) failed: \(error); it will be uploaded after the local copy")
            }
        }
        return failures
    }
}
