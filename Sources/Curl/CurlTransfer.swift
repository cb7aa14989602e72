/// The state one transfer's C callbacks reach through their `void *` argument. It lives for
/// exactly one `CurlEasy.perform` (the callbacks' closures are not allowed to escape it).
public final class CurlTransfer {
    /// Fills the buffer with upload bytes; 0 is the end. A thrown error aborts the transfer.
    public var reader: ((UnsafeMutableRawBufferPointer) throws -> Int)?
    /// Receives downloaded bytes. A thrown error aborts the transfer.
    public var writer: ((UnsafeRawBufferPointer) throws -> Void)?
    /// Moves the upload source to an absolute offset (for a resumed upload); false fails it.
    public var seeker: ((Int64) -> Bool)?
    public let cancel: CancelFlag?
    /// The first error thrown by a reader or writer; it is what the caller sees, not the
    /// CURLE_ABORTED_BY_CALLBACK or CURLE_WRITE_ERROR it caused.
    public internal(set) var failure: (any Error)?
    /// The server's SSH host key, when `CurlOption.sshKnownHosts` checked it.
    public internal(set) var hostKey: ObservedHostKey?
    /// Host key blobs (base64) that known_hosts marks `@revoked`: refused whatever libcurl's
    /// own lookup says (libssh2's known_hosts parser does not honour the marker).
    public var revokedHostKeys: Set<String> = []
    /// Set when the server offered a revoked key and the connection was refused for it.
    public internal(set) var hostKeyRevoked = false
    /// Whether `perform` records the response's header fields in `responseHeaders`.
    public var recordsHeaders = false
    /// The header fields of the last HTTP response (an interim `100 Continue` or a redirect's
    /// fields are dropped when the next status line arrives): names in lowercase, values
    /// trimmed, a repeated field's values joined with ", ". At most `maxHeaderBytes` in all;
    /// a server that sends more fails the transfer.
    public internal(set) var responseHeaders: [String: String] = [:]
    /// The status of the last HTTP response's status line (recorded with the headers).
    public internal(set) var responseStatus: Int?
    var headerBytes = 0
    public static let maxHeaderBytes = 64 << 10

    public init(cancel: CancelFlag? = nil) {
        self.cancel = cancel
    }

    public var isCancelled: Bool { cancel?.isSet ?? false }

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// The transfer behind a callback's context pointer. libcurl passes back exactly the
    /// pointer `perform` gave it, so it is never nil there.
    static func from(_ pointer: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

extension CurlTransfer {
    /// Takes one header line as libcurl delivers it (status line, `Name: value`, or the empty
    /// line that ends the block). False when the fields exceed `maxHeaderBytes`: the transfer
    /// is then aborted with `HeaderError.tooLarge`.
    func recordHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        headerBytes += line.count
        guard headerBytes <= Self.maxHeaderBytes else {
            failure = failure ?? CurlHeaderError.tooLarge(limit: Self.maxHeaderBytes)
            return false
        }
        var bytes = line[...]
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes = bytes.dropLast() }
        if bytes.starts(with: Array("HTTP/".utf8)) {
            responseHeaders = [:]  // a new response: an interim one's fields do not count
            headerBytes = line.count
            // "HTTP/1.1 200 OK", "HTTP/2 404"
            let fields = bytes.split(separator: 0x20, maxSplits: 2)
            responseStatus = fields.count > 1 ? Int(String(decoding: fields[1], as: UTF8.self)) : nil
            return true
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return true }
        let name = String(decoding: bytes[bytes.startIndex..<colon], as: UTF8.self).lowercased()
        let value = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
            .trimmingCharacters(in: " \t")
        guard !name.isEmpty else { return true }
        if let earlier = responseHeaders[name] {
            responseHeaders[name] = earlier + ", " + value
        } else {
            responseHeaders[name] = value
        }
        return true
    }
}

/// A response whose header block is larger than `CurlTransfer.maxHeaderBytes`.
public enum CurlHeaderError: Error, Equatable, CustomStringConvertible {
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case let .tooLarge(limit): "the response's header fields exceed \(limit) bytes"
        }
    }
}

extension String {
    /// The string without leading and trailing characters of `set` (Foundation-free).
    fileprivate func trimmingCharacters(in set: String) -> String {
        let drop = Set(set)
        let start = firstIndex { !drop.contains($0) } ?? endIndex
        let end = lastIndex { !drop.contains($0) }.map { index(after: $0) } ?? start
        return start < end ? String(self[start..<end]) : ""
    }
}
