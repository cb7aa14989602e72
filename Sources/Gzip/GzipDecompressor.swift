import CZlib

/// Streaming gzip decompressor. zlib checks each member's CRC-32 and length; members that
/// follow one another (as `cat a.gz b.gz` makes) are decoded in turn, as gunzip does.
/// Anything after the last member that is not another gzip member is an error: a backup's
/// integrity must not depend on ignoring garbage. Not `Sendable`: a zlib stream has one owner
/// at a time.
public final class GzipDecompressor {
    private let stream = ZStream()
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 16)
    /// True between the end of one member and the first byte of the next.
    private var betweenMembers = false
    private var sawMember = false
    private var finished = false

    public init() throws {
        // windowBits 15 + 16 accepts gzip only (not zlib or raw deflate).
        let status = respaldo_inflateInit2(stream.pointer, 15 + 16)
        guard status == Z_OK else {
            scratch.deallocate()
            throw GzipError.initFailed(operation: "inflate", code: status)
        }
    }

    deinit {
        inflateEnd(stream.pointer)
        scratch.deallocate()
    }

    /// Decompresses `input`, appending the plain bytes to `output`.
    public func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        try update(input, into: &output, emittingAt: .max) { _ in }
    }

    /// Like `update(_:into:)`, but whenever `output` holds `limit` bytes or more it is handed
    /// to `emit` and emptied. Deflate can expand a thousandfold (runs of one byte), so without
    /// this one input chunk could become hundreds of MiB; with it, memory stays near `limit`
    /// plus one 256 KiB window whatever the ratio.
    public func update(
        _ input: UnsafeRawBufferPointer, into output: inout [UInt8], emittingAt limit: Int,
        _ emit: ([UInt8]) throws -> Void
    ) throws {
        precondition(!finished, "update after finish")
        guard !input.isEmpty else { return }
        func emitIfFull() throws {
            if output.count >= limit {
                try emit(output)
                output = []
            }
        }
        try stream.withInput(input) {
            while stream.pointer.pointee.avail_in > 0 {
                if betweenMembers {
                    // A new member starts: zlib validates its magic bytes on the next call.
                    inflateReset(stream.pointer)
                    betweenMembers = false
                }
                sawMember = true
                let status = stream.step(scratch: scratch, into: &output) {
                    inflate(stream.pointer, Z_NO_FLUSH)
                }
                try emitIfFull()
                switch status {
                case Z_STREAM_END:
                    betweenMembers = true
                case Z_OK, Z_BUF_ERROR:
                    continue
                case Z_NEED_DICT, Z_DATA_ERROR:
                    throw GzipError.corrupt(stream.message)
                default:
                    throw GzipError.corrupt("zlib code \(status): \(stream.message)")
                }
            }
            // Output may be pending with no input left (a full scratch window); drain it.
            while !betweenMembers {
                let before = output.count
                let status = stream.step(scratch: scratch, into: &output) {
                    inflate(stream.pointer, Z_NO_FLUSH)
                }
                if status == Z_STREAM_END { betweenMembers = true }
                else if status == Z_DATA_ERROR { throw GzipError.corrupt(stream.message) }
                if output.count == before { break }
                try emitIfFull()
            }
        }
    }

    /// Confirms the input ended exactly at the end of a member.
    public func finish() throws {
        precondition(!finished, "finish called twice")
        finished = true
        guard sawMember else { throw GzipError.truncated("no gzip data") }
        guard betweenMembers else { throw GzipError.truncated("the input ended inside a gzip member") }
    }
}
