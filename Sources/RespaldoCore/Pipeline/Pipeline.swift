import Foundation
import Synchronization
import Threading

/// One stage of a pipeline: takes a chunk, returns what it produces (possibly nothing, possibly
/// the same array: arrays are copy-on-write, so a pass-through costs no copy). Not `Sendable`:
/// a stage is its thread's alone while the pipeline runs, and the caller's before and after.
protocol ChunkTransform: AnyObject {
    func process(_ chunk: [UInt8]) throws -> [UInt8]
    /// Called once after the last chunk; returns any remaining output.
    func finish() throws -> [UInt8]
}

/// A stage that may turn one chunk into many (decompression): it hands each piece to `emit`
/// as it is produced, so a chunk that expands a thousandfold never sits whole in memory.
protocol EmittingTransform: ChunkTransform {
    func process(_ chunk: [UInt8], emit: ([UInt8]) throws -> Void) throws
}

/// Runs source -> transforms... -> consumer with every stage on its own thread, joined by
/// bounded queues, so compression, encryption, hashing and writing overlap. The first error
/// of any stage cancels every other stage and is what `run` throws.
final class Pipeline: Sendable {
    /// Queued chunks per link: with 256 KiB chunks, a few MiB in flight in all.
    static let queueDepth = 4
    static let chunkSize = 256 * 1024

    private struct State {
        var firstError: (any Error)?
        var queues: [BoundedQueue<[UInt8]>] = []
    }

    private let state = Mutex(State())
    private let onFailure: @Sendable () -> Void
    private let cancellation: CancellationToken

    /// `onFailure` runs once, at the first failure, from the failing thread: the place to stop
    /// a dump process that might otherwise keep a stage blocked in read(). A cancelled
    /// `cancellation` (the job's, from its environment: SIGINT/SIGTERM, a backup's deadline) fails
    /// the pipeline with `Cancelled`.
    init(cancellation: CancellationToken, onFailure: @escaping @Sendable () -> Void = {}) {
        self.cancellation = cancellation
        self.onFailure = onFailure
    }

    /// True once any stage failed or the run was cancelled: a source blocked on input that may
    /// never end polls it.
    var hasFailed: Bool { state.withLock { $0.firstError != nil } }

    /// `source` runs on its own thread, handing each chunk to `emit`; it should return only once
    /// its input is known good (e.g. the dump exited 0), and throw otherwise.
    /// `consumer` runs on the calling thread, pulling the last stage's output through `next`.
    /// The source and each transform are handed to their thread, and are the caller's again
    /// once `run` returns (every stage thread has ended by then).
    func run(
        source: @escaping (_ emit: ([UInt8]) throws -> Void) throws -> Void,
        transforms: [any ChunkTransform],
        consumer: (_ next: () throws -> [UInt8]?) throws -> Void
    ) throws {
        let queues = (0...transforms.count).map { _ in BoundedQueue<[UInt8]>(capacity: Self.queueDepth) }
        state.withLock { $0.queues = queues }
        let registration = cancellation.onCancel { [self] reason in fail(Cancelled(reason)) }
        defer { registration.remove() }
        let group = DispatchGroup()

        let handOff = HandOff(source)
        start(group) {
            let source = handOff.take()
            try source { chunk in
                if !chunk.isEmpty { try queues[0].put(chunk) }
            }
            queues[0].close()
        }
        for index in transforms.indices {
            let handOff = HandOff(transforms[index])
            start(group) {
                let transform = handOff.take()
                while let chunk = try queues[index].take() {
                    if let emitting = transform as? any EmittingTransform {
                        try emitting.process(chunk) { out in
                            if !out.isEmpty { try queues[index + 1].put(out) }
                        }
                    } else {
                        let out = try transform.process(chunk)
                        if !out.isEmpty { try queues[index + 1].put(out) }
                    }
                }
                let tail = try transform.finish()
                if !tail.isEmpty { try queues[index + 1].put(tail) }
                queues[index + 1].close()
            }
        }
        let last = queues[transforms.count]
        do {
            try consumer { try last.take() }
            // A consumer that stops early has not seen the end; drain so that any error that
            // ends the stream still surfaces.
            while try last.take() != nil {}
        } catch {
            fail(error)
        }
        group.wait()
        if let firstError = state.withLock({ $0.firstError }) { throw firstError }
        // A cancellation whose other handlers (the dump's kill) ended the stream before this
        // pipeline's own handler ran must still fail the run, never pass as a complete one.
        if let reason = cancellation.reason { throw Cancelled(reason) }
    }

    private func start(_ group: DispatchGroup, _ body: @escaping @Sendable () throws -> Void) {
        group.enter()
        let thread = Thread { [self] in
            do { try body() } catch { fail(error) }
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func fail(_ error: any Error) {
        let queues = state.withLock { state -> [BoundedQueue<[UInt8]>]? in
            guard state.firstError == nil, !(error is PipelineCancelled) else { return nil }
            state.firstError = error
            return state.queues
        }
        guard let queues else { return }
        onFailure()
        queues.forEach { $0.cancel() }
    }
}
