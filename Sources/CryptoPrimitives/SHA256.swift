import COpenSSL

/// Streaming SHA-256 on OpenSSL's EVP digest API.
///
/// One `EVP_MD_CTX` is allocated per instance and reused: `finalize()` returns the digest and
/// resets the hasher, so the same object can hash the next input.
///
/// Not `Sendable`: the context is mutable state with no lock, for one owner at a time. An
/// owner that hands a hasher to another thread says so with `HandOff` (the Threading target).
public final class SHA256 {
    public static let digestSize = 32

    private let ctx: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new() else {
            fatalError("SHA256: EVP_MD_CTX_new failed (out of memory)")
        }
        self.ctx = ctx
        reset()
    }

    deinit {
        EVP_MD_CTX_free(ctx)
    }

    private func reset() {
        // EVP_DigestInit_ex can only fail on allocation failure or a broken OpenSSL install;
        // SHA-256 is always available in the default provider.
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            fatalError("SHA256: EVP_DigestInit_ex failed: \(CryptoError.openSSL("SHA-256 init"))")
        }
    }

    /// Feeds bytes into the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(ctx, base, bytes.count) == 1 else {
            fatalError("SHA256: EVP_DigestUpdate failed: \(CryptoError.openSSL("SHA-256 update"))")
        }
    }

    /// Feeds bytes into the hash.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the 32-byte digest of everything fed so far and resets the hasher.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: SHA256.digestSize)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { buffer in
            EVP_DigestFinal_ex(ctx, buffer.baseAddress, &length)
        }
        guard ok == 1, length == UInt32(SHA256.digestSize) else {
            fatalError("SHA256: EVP_DigestFinal_ex failed: \(CryptoError.openSSL("SHA-256 final"))")
        }
        reset()
        return digest
    }

    /// One-shot SHA-256.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
