import CZlib

/// Compresses one block into its slot. Each worker thread owns one; tests substitute their own.
protocol BlockDeflating: AnyObject {
    func compress(_ slot: BlockSlot) throws(GzipError)
}

/// Raw deflate of independent blocks that concatenate into one valid deflate stream, as pigz
/// does: each block is primed with the previous block's last 32 KiB, so matches reach back
/// across the seam, and every block but the last ends on a byte boundary with no final bit.
/// The output depends only on the block's bytes, its dictionary, the level and whether it is
/// last, never on which thread ran it, so every thread count gives the same stream.
final class RawBlockDeflater: BlockDeflating {
    private let stream = ZStream()

    init(level: Int32) throws(GzipError) {
        // windowBits -15: raw deflate, no header or trailer; the compressor writes the gzip frame.
        let status = respaldo_deflateInit2(stream.pointer, level, -15, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else { throw .initFailed(operation: "raw deflate", code: status) }
    }

    deinit {
        deflateEnd(stream.pointer)
    }

    /// zlib's worst case for `count` input bytes, plus room for the byte-alignment blocks.
    func outputBound(forBlockSize count: Int) -> Int {
        Int(deflateBound(stream.pointer, uLong(count))) + 64
    }

    func compress(_ slot: BlockSlot) throws(GzipError) {
        let z = stream.pointer
        guard deflateReset(z) == Z_OK else { throw failure(Z_STREAM_ERROR, "reset", slot) }
        let dictionary = slot.dictionary
        if let base = dictionary.baseAddress, !dictionary.isEmpty {
            let status = deflateSetDictionary(z, base.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
            guard status == Z_OK else { throw failure(status, "set dictionary", slot) }
        }
        let data = slot.data
        let bytes = data.baseAddress?.assumingMemoryBound(to: Bytef.self)
        slot.crc = crc32(0, bytes, uInt(data.count))
        // zlib never writes through next_in.
        z.pointee.next_in = UnsafeMutablePointer(mutating: bytes)
        z.pointee.avail_in = uInt(data.count)
        defer {
            z.pointee.next_in = nil
            z.pointee.avail_in = 0
        }
        if slot.isLast {
            try run(Z_FINISH, slot)
            return
        }
        // Z_BLOCK completes the last deflate block but holds its final 0-7 bits. Byte-align
        // them as pigz does: an odd count needs an empty stored block (Z_SYNC_FLUSH, 4-5
        // bytes); an even count is padded with empty static blocks of 10 bits each.
        try run(Z_BLOCK, slot)
        var bits: Int32 = 0
        deflatePending(z, nil, &bits)
        if bits & 1 != 0 {
            try run(Z_SYNC_FLUSH, slot)
        } else if bits & 7 != 0 {
            repeat {
                // 10 bits, low first: BFINAL 0, BTYPE 01 (static), then end-of-block (7 zeros).
                let status = deflatePrime(z, 10, 2)
                guard status == Z_OK else { throw failure(status, "pad block", slot) }
                deflatePending(z, nil, &bits)
            } while bits & 7 != 0
            try run(Z_BLOCK, slot)
        }
        var pending: UInt32 = 0
        deflatePending(z, &pending, &bits)
        guard pending == 0, bits == 0 else {
            throw failure(Z_STREAM_ERROR, "end on a byte boundary (\(pending) bytes, \(bits) bits left)", slot)
        }
    }

    /// Calls deflate with `flush` until it has consumed all input and has room to spare, which
    /// means it has written everything `flush` asks for.
    private func run(_ flush: Int32, _ slot: BlockSlot) throws(GzipError) {
        let z = stream.pointer
        while true {
            if slot.outputSpace.isEmpty { slot.growOutput() }
            let space = slot.outputSpace
            z.pointee.next_out = space.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_out = uInt(space.count)
            let status = deflate(z, flush)
            slot.outputCount += space.count - Int(z.pointee.avail_out)
            // Z_BUF_ERROR only says there was nothing to do: not an error here.
            guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else {
                throw failure(status, "deflate", slot)
            }
            if z.pointee.avail_out > 0 {
                if flush == Z_FINISH, status != Z_STREAM_END { throw failure(status, "finish", slot) }
                return
            }
        }
    }

    private func failure(_ code: Int32, _ step: String, _ slot: BlockSlot) -> GzipError {
        .compressFailed(code: code, message: "\(step) of block \(slot.sequence): \(stream.message)")
    }
}
