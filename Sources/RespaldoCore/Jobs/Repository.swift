import Foundation
import Logging
import Storage

/// The snapshots of one store, as the commands see them.
public struct Repository {
    public let store: any Store
    public let config: Config

    public init(store: any Store, config: Config) {
        self.store = store
        self.config = config
    }

    /// The local backup folder.
    public static func local(_ config: Config) -> Repository {
        Repository(store: LocalStore(root: config.localDir), config: config)
    }

    /// The local folder, or the remote called `remote` (reads go through its retry wrapper, so
    /// a dropped connection resumes where it stopped).
    public static func open(_ config: Config, remote: String?, logger: Logger) throws -> Repository {
        guard let remote else { return local(config) }
        return Repository(store: try RemoteStores(config: config, logger: logger).store(named: remote), config: config)
    }

    /// Complete snapshots of `job`, or of every configured job, oldest first within a job.
    public func snapshots(job: String? = nil) throws -> [Snapshot] {
        try config.jobs(named: job).flatMap { try Catalog.snapshots(in: store, job: $0.name) }
    }

    /// The newest complete snapshot of each job that has one.
    public func latestSnapshots(job: String? = nil) throws -> [Snapshot] {
        let all = try snapshots(job: job)
        return Dictionary(grouping: all, by: \.manifest.job).values.compactMap { $0.last }.sorted { $0.id < $1.id }
    }

    /// The snapshot named `id`; an error naming it and the store when there is none.
    public func snapshot(id: String) throws -> Snapshot {
        guard let parsed = SnapshotID(id) else {
            throw RespaldoError.usage("\"\(id)\" is not a snapshot id (expected <job>-YYYYMMDDTHHMMSSZ)")
        }
        guard let snapshot = try Catalog.snapshot(in: store, id: parsed) else {
            throw RespaldoError.failed("no snapshot \(id) in \(store.location) (\(describe(store)))")
        }
        return snapshot
    }

    private func describe(_ store: any Store) -> String {
        (store as? LocalStore)?.root ?? store.location
    }
}
