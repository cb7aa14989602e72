/// Failures of the gzip codec; each names the operation and zlib's own message.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    case initFailed(operation: String, code: Int32)
    case compressFailed(code: Int32, message: String)
    /// The input is not gzip, or a member is corrupt (bad CRC-32, bad length, bad deflate data).
    case corrupt(String)
    /// The input ended inside a member (or held no member at all).
    case truncated(String)

    public var description: String {
        switch self {
        case let .initFailed(operation, code): "gzip: \(operation) failed to initialise (zlib code \(code))"
        case let .compressFailed(code, message): "gzip: compression failed (zlib code \(code): \(message))"
        case let .corrupt(message): "gzip: corrupt data: \(message)"
        case let .truncated(message): "gzip: truncated input: \(message)"
        }
    }
}
