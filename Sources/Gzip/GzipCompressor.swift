import CZlib

/// Streaming RFC 1952 compressor. The header is deterministic (zlib's default: mtime 0, no
/// file name, OS "Unix"), so the same input at the same level gives the same bytes.
/// Not safe for concurrent use; it may move between threads.
public final class GzipCompressor: @unchecked Sendable {
    private let stream = ZStream()
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchSize, alignment: 16)
    private var finished = false
    public let level: Int32

    /// `level`: 0 (store) to 9 (smallest).
    public init(level: Int32 = 6) throws {
        precondition((0...9).contains(level), "gzip level must be 0...9")
        self.level = level
        // windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default.
        let status = respaldo_deflateInit2(stream.pointer, level, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            scratch.deallocate()
            throw GzipError.initFailed(operation: "deflate", code: status)
        }
    }

    deinit {
        deflateEnd(stream.pointer)
        scratch.deallocate()
    }

    /// Compresses `input`, appending whatever zlib emits to `output`.
    public func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        precondition(!finished, "update after finish")
        guard !input.isEmpty else { return }
        try stream.withInput(input) {
            while stream.pointer.pointee.avail_in > 0 {
                let status = stream.step(scratch: scratch, into: &output) {
                    deflate(stream.pointer, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw GzipError.compressFailed(code: status, message: stream.message)
                }
            }
        }
    }

    /// Flushes the last block and writes the CRC-32 and length trailer.
    public func finish(into output: inout [UInt8]) throws {
        precondition(!finished, "finish called twice")
        finished = true
        while true {
            let status = stream.step(scratch: scratch, into: &output) { deflate(stream.pointer, Z_FINISH) }
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                throw GzipError.compressFailed(code: status, message: stream.message)
            }
        }
    }
}
