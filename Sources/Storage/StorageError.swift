import struct Foundation.Date

/// Store failures. Each names the location, the operation and the file.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// A system call failed: `operation` on `path`, with errno's text.
    case io(location: String, operation: String, path: String, errno: Int32)
    case notFound(location: String, name: String)
    case sizeMismatch(location: String, name: String, expected: Int64, actual: Int64)
    case invalidName(String)
    /// A final name that already exists: stores never replace one.
    case alreadyExists(location: String, name: String)
    case tooLarge(location: String, name: String, limit: Int)
    /// The server's host key is not the expected one (known_hosts or pinned SHA-256), or it is
    /// missing from known_hosts. Never retried; there is no way to skip the check.
    case hostKey(location: String, host: String, detail: String)
    /// The server refused our key.
    case authentication(location: String, host: String)
    /// The server refused an operation on `name` (SFTP permission denied).
    case permissionDenied(location: String, name: String, detail: String)
    /// Any other failure of a remote operation: libcurl's code (CURLE_*) and message.
    case remote(location: String, operation: String, name: String, code: Int, message: String)
    /// `cancel()` was called: the transfer was aborted and the store takes no more work.
    case cancelled(location: String)
    /// The store's settings cannot work (bad URL, unreadable identity file).
    case configuration(location: String, detail: String)
    /// An Object Lock retention keeps `name` until `until`: it cannot be deleted (nor its lock
    /// shortened) before then. Not a failure of the store: a later prune tries again.
    case locked(location: String, name: String, until: Date)
    /// The object store refused the credentials: an unknown access key, a wrong secret (the
    /// signature does not match), an expired session token. `code` is the server's error code.
    case credentials(location: String, host: String, code: String, message: String)
    /// The server's TLS certificate could not be verified against the system's CAs or the
    /// configured `ca_file`. There is no way to skip the check.
    case certificate(location: String, host: String, detail: String)
    /// An HTTP request failed: its status, and the S3 error code and message when the body
    /// had them.
    case http(location: String, operation: String, name: String, status: Int, code: String, message: String)

    public var description: String {
        switch self {
        case let .io(location, operation, path, code):
            "\(location): \(operation) \(path): \(errnoText(code))"
        case let .notFound(location, name):
            "\(location): \(printable(name)): no such file"
        case let .sizeMismatch(location, name, expected, actual):
            "\(location): \(name): expected \(expected) bytes, got \(actual)"
        case let .alreadyExists(location, name):
            "\(location): \(printable(name)) already exists; it is never replaced"
        case let .invalidName(name):
            "invalid stored file name \"\(printable(name))\""
        case let .tooLarge(location, name, limit):
            "\(location): \(name) is larger than \(limit) bytes"
        case let .hostKey(location, host, detail):
            "\(location): host key verification failed for \(host): \(detail)"
        case let .authentication(location, host):
            "\(location): authentication failed at \(host): the server refused the identity key"
        case let .permissionDenied(location, name, detail):
            "\(location): \(name.isEmpty ? "/" : name): permission denied (\(detail))"
        case let .remote(location, operation, name, code, message):
            code == 70 || (code == 79 && operation == "upload")
                ? "\(location): \(operation) \(printable(name.isEmpty ? "/" : name)): \(message) (curl error \(code)); the remote \(location) may be full: check its free space"
                : "\(location): \(operation) \(printable(name.isEmpty ? "/" : name)): \(message) (curl error \(code))"
        case let .cancelled(location):
            "\(location): cancelled"
        case let .configuration(location, detail):
            "\(location): \(detail)"
        case let .locked(location, name, until):
            "\(location): \(name) is locked until \(ISO8601UTC.format(until))"
        case let .credentials(location, host, code, message):
            "\(location): \(host) refused the credentials (\(code)\(message.isEmpty ? "" : ": " + message))"
        case let .certificate(location, host, detail):
            "\(location): TLS certificate verification failed for \(host): \(detail)"
        case let .http(location, operation, name, status, code, message):
            "\(location): \(operation) \(name.isEmpty ? "/" : name): HTTP \(status)\(code.isEmpty ? "" : " " + code)\(message.isEmpty ? "" : ": " + message)"
        }
    }

    /// True when trying again cannot help: a wrong host key or certificate, refused
    /// credentials or permission, a missing file, a size check that failed, a bad name or
    /// setting, a lock in force, a cancellation, an HTTP 4xx. Retry wrappers never repeat
    /// these; everything else (refused or dropped connections, timeouts, SSH errors, HTTP 5xx
    /// and 429) is transient.
    public var isPermanent: Bool {
        switch self {
        case .hostKey, .authentication, .permissionDenied, .notFound, .sizeMismatch, .invalidName, .alreadyExists,
             .tooLarge, .cancelled, .configuration, .locked, .credentials, .certificate:
            return true
        case let .http(_, _, _, status, code, _):
            // Server trouble and throttling pass; a refused or malformed request does not.
            if status >= 500 || status == 429 || status == 408 { return false }
            return !["RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "OperationAborted"].contains(code)
        case let .io(_, _, _, code):
            return [EACCES, EPERM, EROFS, ENOENT, ENOTDIR, EISDIR, EINVAL, ENAMETOOLONG].contains(code)
        case let .remote(_, _, _, code, _):
            // Settings or protocol errors that a second attempt repeats identically:
            // unsupported protocol (1), malformed URL (3), not built in (4), bad resume offset (36),
            // bad function argument (43), unknown option (48).
            return [1, 3, 4, 36, 43, 48].contains(code)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// A name a peer chose, safe for a terminal: control characters become `\u{…}`, and at most
/// 300 characters are kept.
public func printable(_ name: String) -> String {
    var out = ""
    for scalar in name.unicodeScalars.prefix(300) {
        if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
            out += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}
