import Curl
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - Running transfers

extension SFTPStore {
    /// Takes the lock and the handle (created on first use); refuses work after `cancel()`.
    @discardableResult
    func locked<T: Sendable>(_ body: (CurlEasy) throws -> T) throws -> T {
        try handle.withLock { easy in
            guard !cancelFlag.isSet else { throw StorageError.cancelled(location: location) }
            if easy == nil {
                do {
                    easy = try CurlEasy()
                } catch let error as CurlError {
                    throw StorageError.remote(location: location, operation: "init", name: "", code: error.number, message: error.message)
                }
            }
            return try body(easy!)
        }
    }

    /// One libcurl transfer on the shared handle with the store's connection, authentication
    /// and host-key settings, plus `configure`'s. libcurl failures become StorageError; an error
    /// thrown by the transfer's reader or writer is rethrown as is.
    @discardableResult
    func run(
        _ easy: CurlEasy, url: String, operation: String, name: String, metadata: Bool = false,
        fresh: Bool = false, honoursCancel: Bool = true,
        configure: (CurlEasy, CurlTransfer) throws -> Void
    ) throws -> CurlTransfer {
        let transfer = CurlTransfer(cancel: honoursCancel ? cancelFlag : nil)
        transfer.revokedHostKeys = revokedHostKeys
        defer {
            // The closures may wrap non-escaping ones: none may outlive this call.
            transfer.reader = nil
            transfer.writer = nil
            transfer.seeker = nil
        }
        do {
            try easy.reset()
            try easy.set([
                .url(url),
                .protocols("sftp"),
                .noSignal(true),
                .sshPublicKeyAuthOnly,
                .sshPrivateKeyFile(options.identityFile),
                .sshPublicKeyFile(""),  // libssh2 derives the public key from the private one
            ])
            if let pinnedSHA256 {
                try easy.set(.sshHostPublicKeySHA256(pinnedSHA256))
            } else if let knownHosts = options.knownHosts {
                try easy.set(.sshKnownHosts(knownHosts))
            }
            try easy.set([
                .connectTimeout(seconds: options.connectTimeout),
                .lowSpeedLimit(bytesPerSecond: options.lowSpeedLimit),
                .lowSpeedTime(seconds: options.lowSpeedTime),
                .tcpKeepAlive(true),
            ])
            if metadata {
                // Commands and listings are not covered by the low-speed check: bound them.
                try easy.set(.timeout(seconds: options.connectTimeout + options.lowSpeedTime))
            }
            if fresh || needsFreshConnection.withLock({ $0 }) {
                try easy.set(.freshConnect(true))
            }
            try configure(easy, transfer)
            try easy.perform(transfer)
            needsFreshConnection.withLock { $0 = false }
            return transfer
        } catch let error as CurlError {
            // Codes after which the cached connection may be dead: connect, partial file,
            // timeout, aborted, send, receive, SSH.
            if [7, 18, 28, 42, 55, 56, 79].contains(error.number) { needsFreshConnection.withLock { $0 = true } }
            throw storageError(error, operation: operation, name: name, transfer: transfer)
        } catch {
            needsFreshConnection.withLock { $0 = true }  // a callback aborted mid-transfer
            if honoursCancel, cancelFlag.isSet { throw StorageError.cancelled(location: location) }
            throw error
        }
    }

    func storageError(_ error: CurlError, operation: String, name: String, transfer: CurlTransfer) -> StorageError {
        switch error.code {
        case .abortedByCallback where transfer.isCancelled:
            return .cancelled(location: location)
        case .peerFailedVerification:
            return .hostKey(location: location, host: endpoint.display, detail: hostKeyDetail(error, transfer))
        case .loginDenied:
            if access(options.identityFile, R_OK) != 0 {
                return .configuration(
                    location: location,
                    detail: "cannot read identity file \(options.identityFile): \(errnoText(errno))")
            }
            return .authentication(location: location, host: endpoint.display)
        case .remoteAccessDenied:
            return .permissionDenied(location: location, name: name, detail: error.message)
        case .quoteError where error.message.contains("ermission denied"):
            return .permissionDenied(location: location, name: name, detail: error.message)
        case .remoteFileNotFound:
            return .notFound(location: location, name: name)
        default:
            return .remote(location: location, operation: operation, name: name, code: error.number, message: error.message)
        }
    }

    func localError(_ operation: String, _ path: String) -> StorageError {
        .io(location: location, operation: operation, path: path, errno: errno)
    }
}
