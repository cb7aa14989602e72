import CryptoPrimitives

/// STREAM (Hoang, Reyhanitabar, Rogaway, Vizár), as age uses it for the payload.
///
/// The plaintext is cut into 64 KiB chunks, each sealed with ChaCha20-Poly1305 under the payload
/// key. The 12-byte nonce is an 11-byte big-endian chunk counter followed by a flag byte, 0x01
/// on the last chunk and 0x00 otherwise. The counter stops chunks from being reordered or
/// dropped; the flag stops the file from being truncated at a chunk boundary, since a
/// non-final chunk can never pass as a final one.
enum StreamConstants {
    static let chunkSize = 64 * 1024
    static let tagSize = ChaChaPoly.tagSize
    static let encryptedChunkSize = chunkSize + tagSize
}

/// The chunk nonce: counter ‖ final flag.
struct StreamNonce {
    private(set) var counter: UInt64 = 0
    private var bytes = [UInt8](repeating: 0, count: ChaChaPoly.nonceSize)

    /// Calls `body` with the nonce of the current chunk.
    mutating func withNonce<R>(final: Bool, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // The counter is 88 bits on the wire; its top 3 bytes stay zero because a 64-bit counter
        // of 64 KiB chunks already covers 2^80 bytes.
        withUnsafeBytes(of: counter.bigEndian) { be in
            for i in 0..<8 { bytes[3 + i] = be[i] }
        }
        bytes[11] = final ? 0x01 : 0x00
        return try bytes.withUnsafeBytes(body)
    }

    mutating func advance() throws {
        guard counter < UInt64.max else {
            throw AgeError.payloadFailure("chunk counter overflow")
        }
        counter += 1
    }
}

/// Encrypts a plaintext stream into STREAM chunks.
///
/// It buffers at most one chunk of plaintext: a chunk is sealed only once more input shows it
/// is not the last one, because the final chunk must carry the final flag — so 64 KiB of input
/// becomes one full *final* chunk, never a full chunk followed by an empty one.
final class StreamSealer {
    private let cipher: ChaChaPoly
    private var nonce = StreamNonce()
    private let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: StreamConstants.chunkSize, alignment: 16)
    private var buffered = 0
    private let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: StreamConstants.encryptedChunkSize, alignment: 16)

    init(key: [UInt8]) throws {
        cipher = try ChaChaPoly(key: key)
    }

    deinit {
        secureZero(plaintext)  // plaintext should not linger in freed memory
        plaintext.deallocate()
        sealed.deallocate()
    }

    func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        var offset = 0
        while offset < input.count {
            if buffered == StreamConstants.chunkSize {
                // More input exists, so the buffered chunk is not the last one.
                try seal(UnsafeRawBufferPointer(plaintext), final: false, into: &output)
                buffered = 0
            }
            let remaining = input.count - offset
            if buffered == 0, remaining > StreamConstants.chunkSize {
                // Fast path: a whole chunk with more input behind it, sealed straight from input.
                try seal(UnsafeRawBufferPointer(rebasing: input[offset..<offset + StreamConstants.chunkSize]), final: false, into: &output)
                offset += StreamConstants.chunkSize
                continue
            }
            let n = min(StreamConstants.chunkSize - buffered, remaining)
            (plaintext.baseAddress! + buffered).copyMemory(from: input.baseAddress! + offset, byteCount: n)
            buffered += n
            offset += n
        }
    }

    /// Seals the buffered bytes as the final chunk; for an empty payload that is one empty chunk.
    func finish(into output: inout [UInt8]) throws {
        try seal(UnsafeRawBufferPointer(rebasing: plaintext[0..<buffered]), final: true, into: &output)
        buffered = 0
    }

    private func seal(_ chunk: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) throws {
        try nonce.withNonce(final: final) { n in
            try cipher.seal(nonce: n, plaintext: chunk, into: sealed.baseAddress!)
        }
        try nonce.advance()
        let count = chunk.count + StreamConstants.tagSize
        output.append(contentsOf: UnsafeBufferPointer(start: sealed.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
    }
}

/// Decrypts STREAM chunks as they arrive, releasing each chunk's plaintext only after its tag
/// verified. Buffers at most one encrypted chunk.
final class StreamOpener {
    private let cipher: ChaChaPoly
    private var nonce = StreamNonce()
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: StreamConstants.encryptedChunkSize, alignment: 16)
    private var filled = 0
    private let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: StreamConstants.chunkSize, alignment: 16)
    private var sawFinal = false

    init(key: [UInt8]) throws {
        cipher = try ChaChaPoly(key: key)
    }

    deinit {
        secureZero(plaintext)
        plaintext.deallocate()
        chunk.deallocate()
    }

    func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        var offset = 0
        while offset < input.count {
            guard !sawFinal else {
                throw AgeError.payloadFailure("trailing data after the final chunk")
            }
            let remaining = input.count - offset
            if filled == 0, remaining >= StreamConstants.encryptedChunkSize {
                // Fast path: a whole chunk is available in the input; open it in place.
                try openFull(UnsafeRawBufferPointer(rebasing: input[offset..<offset + StreamConstants.encryptedChunkSize]), into: &output)
                offset += StreamConstants.encryptedChunkSize
                continue
            }
            let n = min(StreamConstants.encryptedChunkSize - filled, remaining)
            (chunk.baseAddress! + filled).copyMemory(from: input.baseAddress! + offset, byteCount: n)
            filled += n
            offset += n
            if filled == StreamConstants.encryptedChunkSize {
                try openFull(UnsafeRawBufferPointer(chunk), into: &output)
                filled = 0
            }
        }
    }

    /// Ends the payload: a short buffered chunk is the final one; anything else is truncation.
    func finish(into output: inout [UInt8]) throws {
        if sawFinal { return }
        guard filled > 0 else {
            throw AgeError.payloadFailure(nonce.counter == 0 ? "no payload chunks" : "truncated: the final chunk is missing")
        }
        guard filled >= StreamConstants.tagSize else {
            throw AgeError.payloadFailure("truncated chunk")
        }
        // An empty final chunk is only valid as the sole chunk of an empty payload; elsewhere it
        // would give two encodings of the same plaintext.
        guard filled > StreamConstants.tagSize || nonce.counter == 0 else {
            throw AgeError.payloadFailure("empty final chunk after a non-empty payload")
        }
        guard try open(UnsafeRawBufferPointer(rebasing: chunk[0..<filled]), final: true, into: &output) else {
            throw AgeError.payloadFailure("final chunk \(nonce.counter) failed to authenticate")
        }
        filled = 0
    }

    /// A full-size chunk is either a middle chunk or a full final chunk: try both flags. Only
    /// one can authenticate, so this leaks nothing and accepts nothing forged.
    private func openFull(_ data: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        if try open(data, final: false, into: &output) { return }
        if try open(data, final: true, into: &output) { return }
        throw AgeError.payloadFailure("chunk \(nonce.counter) failed to authenticate")
    }

    /// Opens one chunk; on success appends its plaintext and advances. Returns false if the tag
    /// does not verify (nothing is appended then).
    private func open(_ data: UnsafeRawBufferPointer, final: Bool, into output: inout [UInt8]) throws -> Bool {
        let count: Int
        do {
            count = try nonce.withNonce(final: final) { n in
                try cipher.open(nonce: n, ciphertext: data, into: plaintext.baseAddress!)
            }
        } catch CryptoError.authenticationFailure {
            return false
        } catch {
            throw AgeError.payloadFailure("\(error)")
        }
        output.append(contentsOf: UnsafeBufferPointer(start: plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
        try nonce.advance()
        if final { sawFinal = true }
        return true
    }
}
