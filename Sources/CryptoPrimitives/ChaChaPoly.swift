import COpenSSL

/// ChaCha20-Poly1305 AEAD (RFC 8439) on OpenSSL's `EVP_CIPHER` API.
///
/// An instance holds one key and one `EVP_CIPHER_CTX`, reused for every message: the STREAM
/// payload seals and opens one 64 KiB chunk at a time, and allocating a cipher context per
/// chunk would dominate small-chunk cost. The pointer-based `seal`/`open` write into a caller
/// buffer and allocate nothing.
///
/// Not `Sendable`, for the same reason as `SHA256`: one owner at a time, which may hand it to
/// another thread but never share it.
public final class ChaChaPoly {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    private let ctx: OpaquePointer
    /// The key, in memory we own so it can be wiped on deinit.
    private let key: UnsafeMutableRawBufferPointer

    public init(key: [UInt8]) throws {
        let operation = "ChaCha20-Poly1305 init"
        guard key.count == ChaChaPoly.keySize else {
            throw CryptoError.invalidParameter(operation: operation, reason: "key must be \(ChaChaPoly.keySize) bytes, got \(key.count)")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL(operation) }
        // Bind the cipher once; later inits pass a NULL cipher and only reset key and nonce.
        guard EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nil, nil, nil, 1) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, Int32(ChaChaPoly.nonceSize), nil) == 1
        else {
            EVP_CIPHER_CTX_free(ctx)
            throw CryptoError.openSSL(operation)
        }
        self.ctx = ctx
        self.key = UnsafeMutableRawBufferPointer.allocate(byteCount: ChaChaPoly.keySize, alignment: 16)
        key.withUnsafeBytes { self.key.copyMemory(from: $0) }
    }

    deinit {
        secureZero(key)
        key.deallocate()
        EVP_CIPHER_CTX_free(ctx)
    }

    private func start(nonce: UnsafeRawBufferPointer, encrypt: Bool, operation: String) throws {
        guard nonce.count == ChaChaPoly.nonceSize else {
            throw CryptoError.invalidParameter(operation: operation, reason: "nonce must be \(ChaChaPoly.nonceSize) bytes, got \(nonce.count)")
        }
        let ok = EVP_CipherInit_ex(
            ctx, nil, nil,
            key.baseAddress!.assumingMemoryBound(to: UInt8.self),
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
            encrypt ? 1 : 0)
        guard ok == 1 else { throw CryptoError.openSSL(operation) }
    }

    /// Feeds associated data (authenticated, not encrypted) after `start` and before the text.
    private func authenticate(_ aad: UnsafeRawBufferPointer, operation: String) throws {
        guard let base = aad.baseAddress, aad.count > 0 else { return }
        guard aad.count <= Int(Int32.max) else {
            throw CryptoError.invalidParameter(operation: operation, reason: "associated data too long")
        }
        var written: Int32 = 0
        guard EVP_CipherUpdate(ctx, nil, &written, base.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1 else {
            throw CryptoError.openSSL(operation)
        }
    }

    /// Runs the cipher over `input` into `output` in pieces that fit OpenSSL's `int` lengths.
    private func update(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer, operation: String) throws {
        var offset = 0
        while offset < input.count {
            let n = min(input.count - offset, 1 << 30)
            var written: Int32 = 0
            let ok = EVP_CipherUpdate(
                ctx,
                (output + offset).assumingMemoryBound(to: UInt8.self), &written,
                (input.baseAddress! + offset).assumingMemoryBound(to: UInt8.self), Int32(n))
            guard ok == 1, Int(written) == n else { throw CryptoError.openSSL(operation) }
            offset += n
        }
    }

    /// Encrypts `plaintext` and writes `ciphertext ‖ tag` (`plaintext.count + 16` bytes) to
    /// `output`. `output` may equal the plaintext's address. age uses no associated data.
    public func seal(
        nonce: UnsafeRawBufferPointer, plaintext: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into output: UnsafeMutableRawPointer
    ) throws {
        let operation = "ChaCha20-Poly1305 seal"
        try start(nonce: nonce, encrypt: true, operation: operation)
        try authenticate(aad, operation: operation)
        try update(plaintext, into: output, operation: operation)
        var finalLength: Int32 = 0
        guard EVP_CipherFinal_ex(ctx, (output + plaintext.count).assumingMemoryBound(to: UInt8.self), &finalLength) == 1,
              finalLength == 0,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, Int32(ChaChaPoly.tagSize), output + plaintext.count) == 1
        else { throw CryptoError.openSSL(operation) }
    }

    /// Decrypts `ciphertext ‖ tag` and writes the plaintext (`ciphertext.count - 16` bytes) to
    /// `output`, returning its length. Throws `CryptoError.authenticationFailure` if the tag does
    /// not verify; in that case `output` holds unauthenticated bytes and must be discarded.
    @discardableResult
    public func open(
        nonce: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        into output: UnsafeMutableRawPointer
    ) throws -> Int {
        let operation = "ChaCha20-Poly1305 open"
        guard ciphertext.count >= ChaChaPoly.tagSize else {
            throw CryptoError.authenticationFailure(operation: operation)
        }
        let length = ciphertext.count - ChaChaPoly.tagSize
        try start(nonce: nonce, encrypt: false, operation: operation)
        try authenticate(aad, operation: operation)
        try update(UnsafeRawBufferPointer(rebasing: ciphertext[0..<length]), into: output, operation: operation)
        // EVP_CIPHER_CTX_ctrl takes a non-const pointer but only reads the tag for SET_TAG.
        let tag = UnsafeMutableRawPointer(mutating: ciphertext.baseAddress! + length)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(ChaChaPoly.tagSize), tag) == 1 else {
            throw CryptoError.openSSL(operation)
        }
        var finalLength: Int32 = 0
        guard EVP_CipherFinal_ex(ctx, (output + length).assumingMemoryBound(to: UInt8.self), &finalLength) == 1 else {
            CryptoError.clearOpenSSLErrors()
            throw CryptoError.authenticationFailure(operation: operation)
        }
        return length
    }

    /// Array convenience for `seal`: returns `ciphertext ‖ tag`.
    public func seal(nonce: [UInt8], plaintext: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + ChaChaPoly.tagSize)
        try nonce.withUnsafeBytes { n in
            try plaintext.withUnsafeBytes { p in
                try aad.withUnsafeBytes { a in
                    try out.withUnsafeMutableBytes { o in
                        try seal(nonce: n, plaintext: p, aad: a, into: o.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    /// Array convenience for `open`: returns the plaintext, or throws on a bad tag.
    public func open(nonce: [UInt8], ciphertext: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        guard ciphertext.count >= ChaChaPoly.tagSize else {
            throw CryptoError.authenticationFailure(operation: "ChaCha20-Poly1305 open")
        }
        // One spare byte keeps the buffer non-empty so it always has a base address.
        var out = [UInt8](repeating: 0, count: ciphertext.count - ChaChaPoly.tagSize + 1)
        do {
            try nonce.withUnsafeBytes { n in
                try ciphertext.withUnsafeBytes { c in
                    try aad.withUnsafeBytes { a in
                        try out.withUnsafeMutableBytes { o in
                            _ = try open(nonce: n, ciphertext: c, aad: a, into: o.baseAddress!)
                        }
                    }
                }
            }
        } catch {
            secureZero(&out)  // never leave unauthenticated plaintext around
            throw error
        }
        out.removeLast()
        return out
    }

    /// One-shot seal with a fresh context.
    public static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try ChaChaPoly(key: key).seal(nonce: nonce, plaintext: plaintext, aad: aad)
    }

    /// One-shot open with a fresh context; throws `CryptoError.authenticationFailure` on a bad tag.
    public static func open(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try ChaChaPoly(key: key).open(nonce: nonce, ciphertext: ciphertext, aad: aad)
    }
}
