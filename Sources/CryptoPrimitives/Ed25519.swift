import COpenSSL

/// Ed25519 signatures (RFC 8032, "pure" EdDSA) on OpenSSL's `EVP_PKEY` API.
///
/// Keys are handled as raw bytes: the 32-byte seed is the private key (what OpenSSH stores as
/// the first half of its 64-byte "private key") and the public key is the 32-byte encoded point.
/// Pure Ed25519 hashes the message internally, so OpenSSL's one-shot `EVP_DigestSign` and
/// `EVP_DigestVerify` are used with a NULL digest; there is no streaming form.
public enum Ed25519 {
    public static let seedSize = 32
    public static let publicKeySize = 32
    public static let signatureSize = 64

    /// A fresh random seed. Any 32 bytes are a valid seed (the scalar is derived by hashing it).
    public static func generateSeed() -> [UInt8] {
        secureRandomBytes(seedSize)
    }

    /// The public key for a 32-byte seed.
    public static func publicKey(seed: [UInt8]) throws -> [UInt8] {
        let operation = "Ed25519 public key"
        let key = try privateKeyObject(seed, operation: operation)
        defer { EVP_PKEY_free(key) }
        var out = [UInt8](repeating: 0, count: publicKeySize)
        var length = publicKeySize
        let ok = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(key, $0.baseAddress, &length) }
        guard ok == 1, length == publicKeySize else { throw CryptoError.openSSL(operation) }
        return out
    }

    /// The 64-byte signature of `message` under the key derived from `seed`. Ed25519 signing is
    /// deterministic: the same seed and message always give the same signature.
    public static func sign(_ message: [UInt8], seed: [UInt8]) throws -> [UInt8] {
        let operation = "Ed25519 sign"
        let key = try privateKeyObject(seed, operation: operation)
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSL(operation) }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1 else { throw CryptoError.openSSL(operation) }
        var signature = [UInt8](repeating: 0, count: signatureSize)
        var length = signatureSize
        let ok = addressable(message).withUnsafeBufferPointer { m in
            signature.withUnsafeMutableBufferPointer {
                EVP_DigestSign(ctx, $0.baseAddress, &length, m.baseAddress, message.count)
            }
        }
        guard ok == 1, length == signatureSize else { throw CryptoError.openSSL(operation) }
        return signature
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`.
    ///
    /// Never throws: wrong lengths, a public key that is not a curve point and a forged
    /// signature are all just "not valid" to a verifier, and the inputs here usually come from
    /// an untrusted file. OpenSSL's error queue is emptied on every failure so that those
    /// expected failures do not show up in a later, unrelated error report.
    public static func isValidSignature(_ signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureSize, publicKey.count == publicKeySize else { return false }
        let key = publicKey.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, publicKeySize)
        }
        guard let key else {
            CryptoError.clearOpenSSLErrors()
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else {
            CryptoError.clearOpenSSLErrors()
            return false
        }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1 else {
            CryptoError.clearOpenSSLErrors()
            return false
        }
        let result = addressable(message).withUnsafeBufferPointer { m in
            signature.withUnsafeBufferPointer {
                EVP_DigestVerify(ctx, $0.baseAddress, signatureSize, m.baseAddress, message.count)
            }
        }
        // 1 is "valid"; 0 is "invalid signature" and a negative value is an error (for example
        // a public key that does not decode to a point). Both leave entries in the queue.
        guard result == 1 else {
            CryptoError.clearOpenSSLErrors()
            return false
        }
        return true
    }

    private static func privateKeyObject(_ seed: [UInt8], operation: String) throws -> OpaquePointer {
        guard seed.count == seedSize else {
            throw CryptoError.invalidParameter(operation: operation, reason: "seed must be \(seedSize) bytes, got \(seed.count)")
        }
        let key = seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, seedSize)
        }
        guard let key else { throw CryptoError.openSSL(operation) }
        return key
    }

    /// The bytes to hand OpenSSL for `message`. An empty Swift array may have no storage, and
    /// OpenSSL wants a non-NULL pointer even for a zero-length message (RFC 8032's first test
    /// vector signs the empty string), so a one-byte placeholder stands in; the length passed
    /// alongside stays `message.count`.
    private static func addressable(_ message: [UInt8]) -> [UInt8] {
        message.isEmpty ? [0] : message
    }
}
