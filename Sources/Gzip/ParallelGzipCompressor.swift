import CZlib

#if canImport(Glibc)
import Glibc
#endif

/// Streaming RFC 1952 compressor that deflates fixed-size blocks on worker threads, the way
/// pigz does, into one standard gzip member any gunzip reads. Each block is primed with the
/// previous block's last 32 KiB, so the output is about as small as single-threaded gzip's.
/// The bytes depend only on the input, the level and the block size: not on the thread count
/// nor on how the input is split across `update` calls.
///
/// Memory is bounded: `update` blocks while every slot in the ring is in flight, and the
/// thread count is capped to what fits `ParallelGzipPlan.memoryBudget`. Not `Sendable`: its
/// caller is one thread at a time (the workers are its own business). Dropping it without
/// `finish` (a cancelled backup) stops and joins the workers.
public final class ParallelGzipCompressor {
    public static let defaultBlockSize = 128 * 1024

    /// Online processors, the default thread count.
    public static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public let level: Int32
    /// Worker threads in use: the requested count, or fewer if more would not fit the budget.
    public let threads: Int
    public let blockSize: Int
    let plan: ParallelGzipPlan

    private let pool: DeflateWorkerPool
    /// The slot of block number `submitted`, being filled; nil only while the one before it
    /// was just handed to the workers and no slot is free yet.
    private var filling: BlockSlot?
    /// Slots no block is using. Every slot is here, in `filling`, or with the pool.
    private var idle: [BlockSlot]
    /// The end of the last block handed to the workers, which primes the next one: copied out
    /// before the hand-off, since the block is then the workers'.
    private var dictionary: [UInt8] = []
    /// Blocks handed to the workers so far; the block being filled is number `submitted`.
    private var submitted = 0
    /// Blocks whose output was appended; blocks written..<submitted are in flight.
    private var written = 0
    private var crc: uLong = 0
    /// ISIZE: the input length modulo 2^32.
    private var inputSize: UInt32 = 0
    private var wroteHeader = false
    private var finished = false
    /// The first error, returned again by any later call: the stream is broken past it.
    private var failure: GzipError?

    /// `level`: 0 (store) to 9 (smallest). `threads`: at least 1. `blockSize`: 32 KiB to 1 MiB;
    /// larger blocks compress a little better and cost more memory per block in flight.
    public convenience init(
        level: Int32 = 6, threads: Int = ParallelGzipCompressor.defaultThreads,
        blockSize: Int = ParallelGzipCompressor.defaultBlockSize
    ) throws {
        try self.init(level: level, threads: threads, blockSize: blockSize) { level throws(GzipError) in
            try RawBlockDeflater(level: level)
        }
    }

    /// `makeDeflater` builds each worker's block compressor (tests inject failures here).
    init(
        level: Int32, threads requested: Int, blockSize: Int,
        makeDeflater: (Int32) throws(GzipError) -> any BlockDeflating
    ) throws(GzipError) {
        guard (0...9).contains(level) else { throw .invalidParameter("level \(level) is not in 0...9") }
        guard requested >= 1 else { throw .invalidParameter("threads \(requested) is below 1") }
        guard ParallelGzipPlan.blockSizes.contains(blockSize) else {
            throw .invalidParameter("block size \(blockSize) is not in 32 KiB...1 MiB")
        }
        self.level = level
        self.blockSize = blockSize
        let outputCapacity = try RawBlockDeflater(level: level).outputBound(forBlockSize: blockSize)
        plan = ParallelGzipPlan(requestedThreads: requested, blockSize: blockSize, outputCapacity: outputCapacity)
        threads = plan.threads
        var deflaters: [any BlockDeflating] = []
        for _ in 0..<plan.threads { deflaters.append(try makeDeflater(level)) }
        idle = (0..<plan.slotCount).map { _ in BlockSlot(blockSize: blockSize, outputCapacity: outputCapacity) }
        let first = idle.removeLast()
        first.reset(sequence: 0, dictionary: UnsafeRawBufferPointer(start: nil, count: 0))
        filling = first
        dictionary.reserveCapacity(BlockSlot.dictionaryCapacity)
        pool = try DeflateWorkerPool(deflaters: deflaters)
    }

    deinit {
        // Without it the workers would wait for blocks forever, holding the pool.
        pool.shutdown()
    }

    /// Takes `input` into blocks, handing each full block to a worker, and appends to `output`
    /// whatever blocks are finished, in order. Blocks while all slots are in flight.
    public func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        precondition(!finished, "update after finish")
        if let failure { throw failure }
        do throws(GzipError) {
            writeHeaderIfNeeded(into: &output)
            var rest = input
            while !rest.isEmpty {
                // Only a failed call leaves no slot, and then `failure` was thrown above.
                guard var slot = filling else { preconditionFailure("no slot to fill") }
                // A full block is handed over only once more input arrives, so that the last
                // block is always known to be last and ends the deflate stream itself.
                if slot.isFull { slot = try startNextBlock(after: slot, into: &output) }
                let taken = slot.append(rest)
                rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            }
            try writeFinishedBlocks(into: &output, waiting: false)
        } catch {
            failure = error
            throw error
        }
    }

    /// Compresses the last block, writes every block still in flight, then the CRC-32 and
    /// length trailer, and stops the workers.
    public func finish(into output: inout [UInt8]) throws {
        precondition(!finished, "finish called twice")
        finished = true
        if let failure { throw failure }
        do throws(GzipError) {
            writeHeaderIfNeeded(into: &output)
            if let last = filling.take() {
                last.isLast = true
                pool.submit(last)
                submitted += 1
            }
            try writeFinishedBlocks(into: &output, waiting: true)
        } catch {
            failure = error
            pool.shutdown()
            throw error
        }
        appendLittleEndian(UInt32(truncatingIfNeeded: crc), to: &output)
        appendLittleEndian(inputSize, to: &output)
        pool.shutdown()
    }

    /// Hands the full block to the workers and returns the next slot to fill, first writing out
    /// the oldest block in flight when no slot is free.
    private func startNextBlock(after full: BlockSlot, into output: inout [UInt8]) throws(GzipError) -> BlockSlot {
        dictionary.removeAll(keepingCapacity: true)
        dictionary.append(contentsOf: full.dictionaryTail)
        filling = nil
        pool.submit(full)
        submitted += 1
        while idle.isEmpty {
            try writeOldestBlock(into: &output, waiting: true)
        }
        let next = idle.removeLast()
        dictionary.withUnsafeBytes { next.reset(sequence: submitted, dictionary: $0) }
        filling = next
        return next
    }

    private func writeFinishedBlocks(into output: inout [UInt8], waiting: Bool) throws(GzipError) {
        while written < submitted {
            guard try writeOldestBlock(into: &output, waiting: waiting) else { return }
        }
    }

    /// Appends the oldest in-flight block's output, if it is done (or after waiting for it).
    @discardableResult
    private func writeOldestBlock(into output: inout [UInt8], waiting: Bool) throws(GzipError) -> Bool {
        guard let slot = pool.takeFinished(sequence: written, waiting: waiting) else { return false }
        defer { idle.append(slot) }
        if let error = slot.failure { throw error }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: slot.output[0..<slot.outputCount]))
        let count = slot.data.count
        crc = respaldo_crc32_combine(crc, slot.crc, Int64(count))
        inputSize &+= UInt32(truncatingIfNeeded: count)
        written += 1
        return true
    }

    /// The same ten bytes zlib's own gzip wrapper writes: no file name, mtime 0, OS 3 (Unix),
    /// and XFL 2 for level 9, 4 for levels below 2, else 0.
    private func writeHeaderIfNeeded(into output: inout [UInt8]) {
        guard !wroteHeader else { return }
        wroteHeader = true
        let extraFlags: UInt8 = level == 9 ? 2 : (level < 2 ? 4 : 0)
        output.append(contentsOf: [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, extraFlags, 3])
    }

    private func appendLittleEndian(_ value: UInt32, to output: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}
