import COpenSSL

/// scrypt (RFC 7914) on OpenSSL's `EVP_PBE_scrypt`.
public enum Scrypt {
    /// Derives `count` bytes from `password` and `salt` with N = 2^logN.
    ///
    /// OpenSSL refuses any derivation needing more than `maxmem` bytes and defaults that cap to
    /// 32 MiB, which already fails at logN 15 with r = 8. The cap is therefore passed explicitly
    /// as the exact memory this derivation needs (V: 128·r·(N+2) bytes, B: 128·r·p bytes) plus
    /// slack; the caller bounds logN (age accepts at most 22, about 4 GiB).
    public static func deriveKey(password: [UInt8], salt: [UInt8], logN: Int, r: Int = 8, p: Int = 1, count: Int) throws -> [UInt8] {
        let operation = "scrypt"
        guard (1...62).contains(logN) else {
            throw CryptoError.invalidParameter(operation: operation, reason: "logN \(logN) out of range 1...62")
        }
        guard r > 0, p > 0, count > 0 else {
            throw CryptoError.invalidParameter(operation: operation, reason: "r, p and the output length must be positive")
        }
        let n = UInt64(1) << UInt64(logN)
        let r64 = UInt64(r), p64 = UInt64(p)
        // maxmem = 128·r·(N+2) + 128·r·p + 64 KiB slack, refusing anything that overflows.
        let (rn, o1) = (128 &* r64).multipliedReportingOverflow(by: n + 2)
        let (rp, o2) = (128 &* r64).multipliedReportingOverflow(by: p64)
        let (sum, o3) = rn.addingReportingOverflow(rp)
        let (maxmem, o4) = sum.addingReportingOverflow(64 * 1024)
        guard !o1, !o2, !o3, !o4, r64 < UInt64(1) << 32 else {
            throw CryptoError.invalidParameter(operation: operation, reason: "parameters need more memory than can be addressed")
        }
        var out = [UInt8](repeating: 0, count: count)
        let ok = password.withUnsafeBytes { pw in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    EVP_PBE_scrypt(
                        pw.baseAddress?.assumingMemoryBound(to: CChar.self), pw.count,
                        s.baseAddress, s.count,
                        n, r64, p64, maxmem,
                        o.baseAddress, count)
                }
            }
        }
        guard ok == 1 else { throw CryptoError.openSSL(operation) }
        return out
    }
}
