import COpenSSL

/// Returns `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`, seeded from the kernel).
///
/// Failure is a `fatalError` on purpose: these bytes become file keys, ephemeral X25519 secrets,
/// nonces and salts. `RAND_bytes` only fails when the kernel RNG is unavailable, and there is no
/// safe way to continue then; throwing would invite a caller to fall back to weak randomness or
/// to retry in a loop, and writing a backup under a predictable key is worse than not writing it.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    precondition(count >= 0, "secureRandomBytes: negative count")
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
        let n = min(count - offset, Int(Int32.max))
        let ok = bytes.withUnsafeMutableBufferPointer { buffer in
            RAND_bytes(buffer.baseAddress! + offset, Int32(n))
        }
        if ok != 1 {
            fatalError("RAND_bytes failed: the system random number generator is unavailable")
        }
        offset += n
    }
    return bytes
}
