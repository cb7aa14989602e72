import COpenSSL

/// HMAC-SHA-256 (RFC 2104), one-shot. age uses it for the header MAC.
public enum HMACSHA256 {
    public static let macSize = 32

    /// Returns the 32-byte HMAC-SHA-256 of `message` under `key`.
    ///
    /// Uses OpenSSL's one-shot `HMAC()`, which is not deprecated in 3.0 (the `HMAC_CTX_*`
    /// functions are). It fails only on allocation failure, which is treated as fatal.
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: macSize)
        var length: UInt32 = 0
        // OpenSSL wants non-NULL pointers even for empty inputs, and an empty Swift array may have
        // no storage; a one-byte placeholder gives such inputs a valid address (length stays 0).
        let placeholder: [UInt8] = [0]
        let keyBytes = key.isEmpty ? placeholder : key
        let messageBytes = message.isEmpty ? placeholder : message
        let result = keyBytes.withUnsafeBufferPointer { k in
            messageBytes.withUnsafeBufferPointer { m in
                mac.withUnsafeMutableBufferPointer { out in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.baseAddress, message.count, out.baseAddress, &length)
                }
            }
        }
        guard result != nil, length == UInt32(macSize) else {
            fatalError("HMAC-SHA-256 failed: \(CryptoError.openSSL("HMAC-SHA-256"))")
        }
        return mac
    }
}
