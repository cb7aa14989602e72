import CryptoPrimitives
import Foundation
import Logging
import Storage

/// Opens the configured remotes as stores: an `SFTPStore` behind a `RetryingStore` with the
/// remote's own attempts and delays, registered for cancellation by SIGINT/SIGTERM.
public struct RemoteStores {
    public let config: Config
    public let logger: Logger

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// The remotes `job` uploads to, in its configured order.
    public func stores(for job: JobConfig) throws -> [any CancellableStore] {
        try job.remotes.map { try store(named: $0) }
    }

    public func store(named name: String) throws -> any CancellableStore {
        guard let remote = config.remote(named: name) else {
            throw RespaldoError.usage("no remote named \"\(name)\" in \(config.path)")
        }
        return RetryingStore(
            try sftp(remote), retries: remote.retries, initialDelay: remote.retryDelay,
            onRetry: { [logger] retry, error, delay in
                logger.warning("\(error); retry \(retry) of \(remote.retries) in \(String(format: "%.1f", delay)) s")
            })
    }

    /// The bare SFTP store (no retries), for `check-config --connect`.
    public func sftp(_ remote: RemoteConfig) throws -> SFTPStore {
        do {
            return try SFTPStore(options: .init(
                name: remote.name, url: remote.url, identityFile: remote.identityFile,
                knownHosts: remote.knownHosts, hostKeySHA256: remote.hostKeySHA256))
        } catch {
            throw RespaldoError.usage("remote \(remote.name): \(error)")
        }
    }

    /// What `check-config --connect` shows for a reachable remote.
    public struct ConnectionCheck: Sendable {
        public var host: String
        /// `SHA256:<unpadded base64>` of the server's key blob, as `ssh-keygen -lf` prints it,
        /// with how it was checked.
        public var hostKey: String
        public var folder: String
    }

    /// Connects (host key checked), writes and removes a probe file in the remote folder.
    public func check(_ remote: RemoteConfig) throws -> ConnectionCheck {
        let info = try sftp(remote).checkConnection()
        let hostKey: String
        if let pinned = info.pinnedSHA256 {
            hostKey = "SHA256:\(pinned) (matches host_key_sha256)"
        } else if let blob = info.hostKeyBase64.flatMap({ Data(base64Encoded: $0) }) {
            let digest = Data(SHA256.hash(Array(blob))).base64EncodedString().replacingOccurrences(of: "=", with: "")
            hostKey = "SHA256:\(digest)\(info.hostKeyType.map { " \($0)" } ?? "") (matches known_hosts)"
        } else {
            hostKey = "checked against known_hosts"
        }
        return ConnectionCheck(host: info.host, hostKey: hostKey, folder: info.folder)
    }
}
