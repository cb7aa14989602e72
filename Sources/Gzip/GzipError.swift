/// Failures of the gzip codec; each names the operation and zlib's own message.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    case initFailed(operation: String, code: Int32)
    case compressFailed(code: Int32, message: String)
    /// A compressor option is out of range (the message names it and the allowed range).
    case invalidParameter(String)
    /// A parallel compressor could not start a worker thread (pthread_create's error number).
    case threadStartFailed(code: Int32)
    /// The input is not gzip, or a member is corrupt (bad CRC-32, bad length, bad deflate data).
    case corrupt(String)
    /// The input ended inside a member (or held no member at all).
    case truncated(String)

    public var description: String {
        switch self {
        case let .initFailed(operation, code): "gzip: \(operation) failed to initialise (zlib code \(code))"
        case let .compressFailed(code, message): "gzip: compression failed (zlib code \(code): \(message))"
        case let .invalidParameter(message): "gzip: invalid parameter: \(message)"
        case let .threadStartFailed(code): "gzip: could not start a compression thread (error \(code))"
        case let .corrupt(message): "gzip: corrupt data: \(message)"
        case let .truncated(message): "gzip: truncated input: \(message)"
        }
    }
}
