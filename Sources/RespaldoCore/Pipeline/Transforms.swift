import Age
import CryptoPrimitives
import Foundation
import Gzip

/// Passes chunks through unchanged, counting bytes and hashing them (SHA-256).
final class HashTap: ChunkTransform, @unchecked Sendable {
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

final class GzipCompressStage: ChunkTransform {
    private let compressor: GzipCompressor

    init(level: Int) throws {
        compressor = try GzipCompressor(level: Int32(level))
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count / 2 + 64)
        try chunk.withUnsafeBytes { try compressor.update($0, into: &out) }
        return out
    }

    func finish() throws -> [UInt8] {
        var out: [UInt8] = []
        try compressor.finish(into: &out)
        return out
    }
}

final class GzipDecompressStage: ChunkTransform {
    private let decompressor: GzipDecompressor

    init() throws {
        decompressor = try GzipDecompressor()
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count * 4)
        try chunk.withUnsafeBytes { try decompressor.update($0, into: &out) }
        return out
    }

    func finish() throws -> [UInt8] {
        try decompressor.finish()
        return []
    }
}

final class AgeEncryptStage: ChunkTransform {
    private let encryptor: AgeEncryptor

    init(recipients: [any Recipient]) throws {
        encryptor = try AgeEncryptor(recipients: recipients)
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count + chunk.count / 4096 + 1024)
        try chunk.withUnsafeBytes { try encryptor.update($0, into: &out) }
        return out
    }

    func finish() throws -> [UInt8] {
        var out: [UInt8] = []
        try encryptor.finish(into: &out)
        return out
    }
}

final class AgeDecryptStage: ChunkTransform {
    private let decryptor: AgeDecryptor

    init(identities: [any Identity]) {
        decryptor = AgeDecryptor(identities: identities)
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count)
        try chunk.withUnsafeBytes { try decryptor.update($0, into: &out) }
        return out
    }

    func finish() throws -> [UInt8] {
        var out: [UInt8] = []
        try decryptor.finish(into: &out)
        return out
    }
}

/// Reads a file descriptor in pipeline-sized chunks.
func readChunk(from fd: Int32, tool: String) throws -> [UInt8] {
    var chunk = [UInt8](repeating: 0, count: Pipeline.chunkSize)
    var filled = 0
    // Fill the chunk: pipes deliver 64 KiB at a time, and fewer, larger chunks mean fewer
    // queue handoffs downstream.
    while filled < chunk.count {
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
