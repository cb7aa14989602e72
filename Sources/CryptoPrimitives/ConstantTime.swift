import COpenSSL

/// Compares two byte strings in time that depends only on their length (`CRYPTO_memcmp`), for
/// MACs and tags: an early-exit comparison would tell an attacker how many leading bytes of a
/// forged MAC were right. Different lengths compare unequal (lengths are not secret here).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in
            CRYPTO_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0
        }
    }
}

/// Overwrites `bytes` with zeros in a way the optimizer may not remove (`OPENSSL_cleanse`), for
/// wiping keys once they are no longer needed. The count is kept.
public func secureZero(_ bytes: inout [UInt8]) {
    let count = bytes.count
    guard count > 0 else { return }
    bytes.withUnsafeMutableBytes { buffer in
        OPENSSL_cleanse(buffer.baseAddress!, count)
    }
}

/// Pointer form of `secureZero`, for buffers owned outside Swift arrays.
public func secureZero(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    OPENSSL_cleanse(base, buffer.count)
}
