/// A stored snapshot that does not match its manifest.
public enum IntegrityError: Error, CustomStringConvertible {
    case missing(what: String)
    case size(what: String, expected: Int64, actual: Int64)
    case digest(what: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .missing(what):
            "\(what) is missing"
        case let .size(what, expected, actual):
            actual < expected
                ? "\(what) is truncated: \(actual) of \(expected) bytes"
                : "\(what) has \(actual) bytes, the manifest says \(expected)"
        case let .digest(what, expected, actual):
            "\(what) SHA-256 mismatch: \(actual), the manifest says \(expected)"
        }
    }
}

/// A HashTap that, at the end of the stream, compares what passed through with the manifest
/// and fails the stream on any difference, so nothing downstream is ever published from
/// unverified bytes.
final class ExpectingHashTap: ChunkTransform {
    private let tap: HashTap
    private let what: String
    private let bytes: Int64
    private let sha256: String

    init(what: String, bytes: Int64, sha256: String, onBytes: (@Sendable (Int) -> Void)? = nil) {
        tap = HashTap(onBytes: onBytes)
        self.what = what
        self.bytes = bytes
        self.sha256 = sha256
    }

    func process(_ chunk: [UInt8]) throws -> [UInt8] {
        let out = try tap.process(chunk)
        if tap.byteCount > bytes { throw IntegrityError.size(what: what, expected: bytes, actual: tap.byteCount) }
        return out
    }

    func finish() throws -> [UInt8] {
        _ = try tap.finish()
        guard tap.byteCount == bytes else { throw IntegrityError.size(what: what, expected: bytes, actual: tap.byteCount) }
        guard tap.hexDigest == sha256 else { throw IntegrityError.digest(what: what, expected: sha256, actual: tap.hexDigest) }
        return []
    }
}
