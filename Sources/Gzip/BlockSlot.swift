import CZlib

/// One block of input and its compressed form, reused. Not `Sendable`: it has one owner at a
/// time, the feeding thread while it fills the input and reads the result, one worker while it
/// compresses, and it moves between them in a `HandOff` through the pool.
final class BlockSlot {
    /// deflate's window: a block is primed with at most this much of the input before it.
    static let dictionaryCapacity = 32 * 1024

    let blockSize: Int
    /// The dictionary ends where the data starts, at offset `dictionaryCapacity`.
    private let input: UnsafeMutableRawBufferPointer
    private(set) var dictionaryCount = 0
    private(set) var dataCount = 0
    /// Position of the block in the stream (0, 1, ...).
    private(set) var sequence = 0
    /// The final block ends the deflate stream (Z_FINISH); the others end on a byte boundary.
    var isLast = false

    /// Written by the worker.
    private(set) var output: UnsafeMutableRawBufferPointer
    var outputCount = 0
    var crc: uLong = 0
    var failure: GzipError?

    init(blockSize: Int, outputCapacity: Int) {
        self.blockSize = blockSize
        input = .allocate(byteCount: Self.dictionaryCapacity + blockSize, alignment: 16)
        output = .allocate(byteCount: outputCapacity, alignment: 16)
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    var dictionary: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[(Self.dictionaryCapacity - dictionaryCount)..<Self.dictionaryCapacity])
    }

    var data: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[Self.dictionaryCapacity..<(Self.dictionaryCapacity + dataCount)])
    }

    var isFull: Bool { dataCount == blockSize }

    /// Empties the slot for block `sequence`, primed with `dictionary`, the tail of the block
    /// before it (`dictionaryTail`).
    func reset(sequence: Int, dictionary: UnsafeRawBufferPointer) {
        precondition(dictionary.count <= Self.dictionaryCapacity)
        self.sequence = sequence
        dataCount = 0
        outputCount = 0
        crc = 0
        failure = nil
        isLast = false
        dictionaryCount = dictionary.count
        if let source = dictionary.baseAddress, dictionaryCount > 0 {
            (input.baseAddress! + (Self.dictionaryCapacity - dictionaryCount)).copyMemory(from: source, byteCount: dictionaryCount)
        }
    }

    /// The end of the data that primes the next block: deflate's window, or all of a shorter block.
    var dictionaryTail: UnsafeRawBufferPointer {
        let data = self.data
        return UnsafeRawBufferPointer(rebasing: data[(data.count - min(data.count, Self.dictionaryCapacity))...])
    }

    /// Copies as much of `bytes` as fits; returns how many bytes were taken.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = min(blockSize - dataCount, bytes.count)
        if count > 0, let source = bytes.baseAddress {
            (input.baseAddress! + (Self.dictionaryCapacity + dataCount)).copyMemory(from: source, byteCount: count)
            dataCount += count
        }
        return count
    }

    /// Doubles the output buffer, keeping what was written. deflateBound makes this rare to
    /// never; it exists so that a wrong bound costs memory, not a corrupt block.
    func growOutput() {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: output.count * 2, alignment: 16)
        if outputCount > 0 {
            larger.baseAddress!.copyMemory(from: output.baseAddress!, byteCount: outputCount)
        }
        output.deallocate()
        output = larger
    }

    /// Room after what was written, for deflate's next_out.
    var outputSpace: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: output[outputCount...])
    }
}
