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
