import COpenSSL

/// One-shot SHA-512 on OpenSSL's `EVP_Digest`. SSH signatures (SSHSIG) hash the signed message
/// with it. Only the one-shot form exists because that is all its callers need; a streaming
/// hasher would follow `SHA256`.
public enum SHA512 {
    public static let digestSize = 64

    /// The 64-byte SHA-512 digest of `bytes`.
    ///
    /// `EVP_Digest` fails only on allocation failure or a broken OpenSSL install (SHA-512 is
    /// always in the default provider), which is treated as fatal, as in `SHA256`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestSize)
        var length: UInt32 = 0
        // An empty array may have no storage; OpenSSL gets a valid address and a zero length.
        let input = bytes.isEmpty ? [0] : bytes
        let ok = input.withUnsafeBytes { data in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(data.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha512(), nil)
            }
        }
        guard ok == 1, length == UInt32(digestSize) else {
            fatalError("SHA512: EVP_Digest failed: \(CryptoError.openSSL("SHA-512"))")
        }
        return digest
    }
}
