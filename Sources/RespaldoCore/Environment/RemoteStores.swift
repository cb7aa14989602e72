import CryptoPrimitives
import Foundation
import Logging
import Storage

/// Opens a configured remote as a store: SFTP or S3 behind a `RetryingStore` with the
/// remote's own attempts and delays (Environment.live's remotes; check-config's probes).
public struct RemoteStores {
    public let config: Config
    public let logger: Logger

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func store(for remote: RemoteConfig) throws -> any CancellableStore {
        RetryingStore(
            try bare(remote), retries: remote.retries, initialDelay: remote.retryDelay,
            onRetry: { [logger] retry, error, delay in
                logger.warning("\(error); retry \(retry) of \(remote.retries) in \(String(format: "%.1f", delay)) s")
            })
    }

    /// The store without retries: SFTP or S3, as the remote's URL says.
    func bare(_ remote: RemoteConfig) throws -> any CancellableStore {
        if let s3 = remote.s3 { return try self.s3(remote, s3) }
        return try sftp(remote)
    }

    /// The bare SFTP store (no retries), for `check-config --connect`.
    public func sftp(_ remote: RemoteConfig) throws -> SFTPStore {
        do {
            guard let endpoint = remote.endpoint else { throw StorageError.configuration(location: remote.name, detail: "no sftp:// URL") }
            var options = SFTPStore.Options(
                name: remote.name, endpoint: endpoint, identityFile: remote.identityFile,
                knownHosts: remote.knownHosts, hostKey: remote.hostKey, bandwidthLimit: remote.bandwidthLimit)
            options.appendOnly = remote.appendOnly
            return try SFTPStore(options: options)
        } catch {
            throw RespaldoError.usage("remote \(remote.name): \(error)")
        }
    }

    func s3(_ remote: RemoteConfig, _ s3: S3RemoteConfig) throws -> S3Store {
        do {
            try FileSecurity.checkPrivate(path: s3.credentialsFile, what: "S3 credentials file")
            let credentials = try S3Credentials.load(file: s3.credentialsFile, profile: s3.profile)
            let lock: ObjectLockPolicy? = switch s3.objectLock {
            case .off: nil
            case .governance: ObjectLockPolicy(mode: .governance, days: s3.lockDays)
            case .compliance: ObjectLockPolicy(mode: .compliance, days: s3.lockDays)
            }
            return try S3Store(options: .init(
                name: remote.name, url: remote.url, endpoint: s3.endpoint, region: s3.region, credentials: credentials,
                virtualHostedStyle: s3.virtualHosted, caFile: s3.caFile, bandwidthLimit: remote.bandwidthLimit, objectLock: lock))
        } catch let error as ConfigError {
            throw error
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

    /// Connects (host key checked), writes and removes a probe file in the remote folder (an
    /// add-only remote is only listed). For S3: the bucket's versioning and Object Lock, and a
    /// refusal when the remote asks for locks the bucket cannot keep.
    public func check(_ remote: RemoteConfig) throws -> ConnectionCheck {
        if let settings = remote.s3 { return try checkS3(remote, settings) }
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

    private func checkS3(_ remote: RemoteConfig, _ settings: S3RemoteConfig) throws -> ConnectionCheck {
        let store = try s3(remote, settings)
        let bucket = try store.bucketConfiguration()
        let lock = bucket.objectLockEnabled
            ? "object lock enabled" + (bucket.defaultRetention.map { ", default \($0.mode.rawValue.lowercased()) \($0.days) days" } ?? "")
            : "object lock not enabled"
        let summary = "versioning \(bucket.versioning.rawValue), \(lock)"
        if settings.objectLock != .off && !bucket.objectLockEnabled {
            throw RespaldoError.failed("remote \(remote.name): object_lock = \"\(settings.objectLock.rawValue)\" but the bucket of \(remote.url) has no Object Lock (\(summary)): create the bucket with Object Lock enabled")
        }
        // A write probe only where it can be taken back: a locked object stays for lock_days.
        if !remote.appendOnly && settings.objectLock == .off {
            let probe = ".respaldo-check-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            try store.put(probe, bytes: Array("respaldo write check\n".utf8))
            try store.delete(probe)
        }
        return ConnectionCheck(host: settings.endpoint, hostKey: summary, folder: store.display)
    }
}
