/// How many workers and blocks in flight a parallel compressor uses: as many as asked for, up
/// to what fits a fixed memory budget, so memory stays bounded at any thread count and any
/// input size (a block is either being filled, queued, compressing, or waiting to be written).
struct ParallelGzipPlan: Equatable {
    /// Slot buffers and zlib states together stay under this.
    static let memoryBudget = 24 << 20
    /// zlib's deflate state at windowBits 15, memLevel 8: a 64 KiB window, 64 KiB each for the
    /// hash head and prev chains, 64 KiB of pending/symbol buffer, and the state struct.
    static let deflateStateBytes = 268 * 1024
    static let blockSizes = (32 * 1024)...(1 << 20)

    /// Worker threads actually started.
    let threads: Int
    /// Slots in the ring: up to two blocks in flight per worker, plus the one being filled.
    let slotCount: Int

    init(requestedThreads: Int, blockSize: Int, outputCapacity: Int) {
        let slotBytes = BlockSlot.dictionaryCapacity + blockSize + outputCapacity
        let budget = Self.memoryBudget - slotBytes  // the slot being filled
        // Every worker needs its zlib state and at least one slot of its own.
        let affordable = max(1, budget / (Self.deflateStateBytes + slotBytes))
        threads = min(requestedThreads, affordable)
        let spareSlots = max(0, (budget - threads * (Self.deflateStateBytes + slotBytes)) / slotBytes)
        slotCount = threads + min(threads, spareSlots) + 1
    }

    /// Bytes this plan allocates, as counted against the budget.
    func allocatedBytes(blockSize: Int, outputCapacity: Int) -> Int {
        threads * Self.deflateStateBytes + slotCount * (BlockSlot.dictionaryCapacity + blockSize + outputCapacity)
    }
}
