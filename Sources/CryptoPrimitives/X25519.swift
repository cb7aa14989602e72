import COpenSSL

/// X25519 Diffie-Hellman (RFC 7748) on OpenSSL's `EVP_PKEY` API.
public enum X25519 {
    public static let keySize = 32

    /// The public key (`X25519(privateKey, 9)`) for a 32-byte private key. OpenSSL clamps the
    /// scalar itself, so any 32 random bytes are a valid private key.
    public static func publicKey(privateKey: [UInt8]) throws -> [UInt8] {
        let operation = "X25519 public key"
        let key = try privateKeyObject(privateKey, operation: operation)
        defer { EVP_PKEY_free(key) }
        var out = [UInt8](repeating: 0, count: keySize)
        var length = keySize
        let ok = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(key, $0.baseAddress, &length) }
        guard ok == 1, length == keySize else { throw CryptoError.openSSL(operation) }
        return out
    }

    /// The shared secret `X25519(privateKey, publicKey)`.
    ///
    /// Throws if the result is all zeros: that happens exactly when the peer's key is a
    /// low-order point, and accepting it would let an attacker force a known shared secret
    /// (a "contributory behaviour" check; age requires it).
    public static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        let operation = "X25519 shared secret"
        guard publicKey.count == keySize else {
            throw CryptoError.invalidParameter(operation: operation, reason: "public key must be \(keySize) bytes, got \(publicKey.count)")
        }
        let ours = try privateKeyObject(privateKey, operation: operation)
        defer { EVP_PKEY_free(ours) }
        let peer = publicKey.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nil, $0.baseAddress, keySize)
        }
        guard let peer else { throw CryptoError.openSSL(operation) }
        defer { EVP_PKEY_free(peer) }
        guard let ctx = EVP_PKEY_CTX_new(ours, nil) else { throw CryptoError.openSSL(operation) }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_derive_init(ctx) == 1, EVP_PKEY_derive_set_peer(ctx, peer) == 1 else {
            throw CryptoError.openSSL(operation)
        }
        var secret = [UInt8](repeating: 0, count: keySize)
        var length = keySize
        let ok = secret.withUnsafeMutableBufferPointer { EVP_PKEY_derive(ctx, $0.baseAddress, &length) }
        // OpenSSL 3 already fails the derive for an all-zero result; the explicit constant-time
        // check below keeps the guarantee independent of the OpenSSL version.
        guard ok == 1, length == keySize else {
            CryptoError.clearOpenSSLErrors()
            throw CryptoError.invalidParameter(operation: operation, reason: "key agreement failed (low-order public key)")
        }
        if constantTimeEquals(secret, [UInt8](repeating: 0, count: keySize)) {
            throw CryptoError.invalidParameter(operation: operation, reason: "low-order public key (all-zero shared secret)")
        }
        return secret
    }

    private static func privateKeyObject(_ privateKey: [UInt8], operation: String) throws -> OpaquePointer {
        guard privateKey.count == keySize else {
            throw CryptoError.invalidParameter(operation: operation, reason: "private key must be \(keySize) bytes, got \(privateKey.count)")
        }
        let key = privateKey.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, $0.baseAddress, keySize)
        }
        guard let key else { throw CryptoError.openSSL(operation) }
        return key
    }
}
