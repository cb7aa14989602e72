import Age
import CryptoPrimitives
import Foundation
import Gzip

/// Passes chunks through unchanged, counting bytes and hashing them (SHA-256).
final class HashTap: ChunkTransform {
    private let hasher = SHA256()
    private(set) var byteCount: Int64 = 0
    private(set) var digest: [UInt8] = []
    /// Called with each chunk's size, from the stage's thread (progress reporting).
    private let onBytes: (@Sendable (Int) -> Void)?

    init(onBytes: (@Sendable (Int) -> Void)? = nil) {
        self.onBytes = onBytes
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        chunk.withUnsafeBytes { hasher.update($0) }
        byteCount += Int64(chunk.count)
        onBytes?(chunk.count)
        return chunk
    }

    func finish() throws -> [UInt8] {
        digest = hasher.finalize()
        return []
    }

    var hexDigest: String { Hex.encode(digest) }
}

/// A streaming codec that appends its output to a buffer: gzip compression and age share this
/// shape (gunzip has its own stage, GunzipStage, whose output can be far larger than its input).
protocol ByteCodec: AnyObject {
    func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws
    func finish(into output: inout [UInt8]) throws
}

extension ParallelGzipCompressor: ByteCodec {}
extension AgeEncryptor: ByteCodec {}
extension AgeDecryptor: ByteCodec {}

/// Runs a codec as a pipeline stage.
final class CodecStage: ChunkTransform {
    private let codec: any ByteCodec
    /// Output capacity to reserve for an input chunk of the given size: a guess that saves
    /// regrowing the array, not a limit.
    private let expectedOutput: (Int) -> Int

    init(_ codec: any ByteCodec, expectedOutput: @escaping (Int) -> Int) {
        self.codec = codec
        self.expectedOutput = expectedOutput
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(expectedOutput(chunk.count))
        try chunk.withUnsafeBytes { try codec.update($0, into: &out) }
        return out
    }

    func finish() throws -> [UInt8] {
        var out: [UInt8] = []
        try codec.finish(into: &out)
        return out
    }

    /// pigz-style: blocks deflated on `threads` workers into one standard gzip member, the
    /// same bytes for any thread count (so a snapshot's SHA-256 never depends on the machine).
    static func gzip(level: Int, threads: Int) throws -> CodecStage {
        CodecStage(try ParallelGzipCompressor(level: Int32(level), threads: threads)) { $0 / 2 + 64 }
    }

    static func encrypt(to recipients: [any Recipient]) throws -> CodecStage {
        // age adds a 16-byte tag per 64 KiB chunk, and the header once.
        CodecStage(try AgeEncryptor(recipients: recipients)) { $0 + $0 / 4096 + 1024 }
    }

    static func decrypt(with identities: [any Identity]) -> CodecStage {
        CodecStage(AgeDecryptor(identities: identities)) { $0 }
    }
}

/// gunzip as a stage whose output goes on in pieces of about one pipeline chunk, whatever
/// the compression ratio (a dump of padded rows can deflate 100:1 and more).
final class GunzipStage: EmittingTransform {
    private let decompressor: GzipDecompressor

    init() throws {
        decompressor = try GzipDecompressor()
    }

    func process(_ chunk: [UInt8], emit: ([UInt8]) throws -> Void) throws {
        var out: [UInt8] = []
        try chunk.withUnsafeBytes { try decompressor.update($0, into: &out, emittingAt: Pipeline.chunkSize, emit) }
        if !out.isEmpty { try emit(out) }
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        var all: [UInt8] = []
        try process(chunk) { all += $0 }
        return all
    }

    func finish() throws -> [UInt8] {
        try decompressor.finish()
        return []
    }
}

/// Reads a file descriptor in pipeline-sized chunks.
func readChunk(from fd: Int32, tool: String, until stop: () -> Bool = { false }) throws -> [UInt8] {
    var chunk = [UInt8](repeating: 0, count: Pipeline.chunkSize)
    var filled = 0
    // Fill the chunk: pipes deliver 64 KiB at a time, and fewer, larger chunks mean fewer
    // queue handoffs downstream.
    while filled < chunk.count {
        // Wait in poll, a quarter second at a time, so that `stop` is heard even when no byte
        // and no end of input ever comes.
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let polled = poll(&ready, 1, 250)
        if polled < 0 && errno != EINTR { throw SourceError.read(tool: tool, errno) }
        if polled <= 0 {
            if stop() { throw PipelineCancelled() }
            continue
        }
        let count = chunk.withUnsafeMutableBytes { buffer in
            Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
        }
        if count < 0 {
            if errno == EINTR { continue }
            throw SourceError.read(tool: tool, errno)
        }
        if count == 0 { break }
        filled += count
    }
    chunk.removeSubrange(filled...)
    return chunk
}
