import COpenSSL

/// A failure inside a cryptographic primitive. Every case names the operation that failed, so a
/// log line says *what* broke ("X25519 shared secret", "scrypt") rather than a bare OpenSSL code.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// An OpenSSL call failed. `detail` is the text of OpenSSL's error queue (may be empty).
    case openSSLFailure(operation: String, detail: String)
    /// An AEAD tag did not verify: the ciphertext, nonce, key or tag is wrong.
    case authenticationFailure(operation: String)
    /// The caller passed a value the operation cannot accept (wrong key length, bad parameters).
    case invalidParameter(operation: String, reason: String)

    public var description: String {
        switch self {
        case .openSSLFailure(let operation, let detail):
            return detail.isEmpty
                ? "\(operation): OpenSSL call failed"
                : "\(operation): OpenSSL call failed: \(detail)"
        case .authenticationFailure(let operation):
            return "\(operation): authentication failed"
        case .invalidParameter(let operation, let reason):
            return "\(operation): \(reason)"
        }
    }

    /// Builds an `openSSLFailure`, draining OpenSSL's thread-local error queue so that stale
    /// entries do not leak into the next failure report.
    static func openSSL(_ operation: String) -> CryptoError {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            messages.append(message)
        }
        return .openSSLFailure(operation: operation, detail: messages.joined(separator: "; "))
    }

    /// Empties OpenSSL's error queue after an expected failure (a tag mismatch that the caller
    /// handles), so it does not show up in a later, unrelated error.
    static func clearOpenSSLErrors() {
        ERR_clear_error()
    }
}
