import COpenSSL

/// MD5 (RFC 1321), one-shot, on OpenSSL's EVP digest API.
///
/// Not for security: S3 asks for a part's MD5 in `Content-MD5` (an integrity check of the
/// transfer, required with Object Lock) and reports it as the part's ETag. Everything respaldo
/// trusts is SHA-256.
public enum MD5 {
    public static let digestSize = 16

    /// Returns the 16-byte MD5 of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestSize)
        var length: UInt32 = 0
        // EVP_Digest wants a non-NULL pointer even for no input.
        let placeholder: UInt8 = 0
        let ok = withUnsafePointer(to: placeholder) { empty in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(bytes.baseAddress ?? UnsafeRawPointer(empty), bytes.count, out.baseAddress, &length, EVP_md5(), nil)
            }
        }
        // Fails only on allocation failure or an OpenSSL without MD5 (a FIPS-only provider).
        guard ok == 1, length == UInt32(digestSize) else {
            fatalError("MD5 failed: \(CryptoError.openSSL("MD5"))")
        }
        return digest
    }

    /// Returns the 16-byte MD5 of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }
}
