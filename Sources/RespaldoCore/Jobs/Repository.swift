import Foundation
import Logging
import Storage

/// The snapshots of one store, as the commands see them. With `[trust]`, only what the backup
/// server signed, in the chain and inventory it signed; without it, every complete snapshot.
public struct Repository {
    public let store: any Store
    public let config: Config
    public let trust: TrustPolicy?
    /// How messages name the store: the local folder's path, or the remote's name.
    let display: String
    let now: @Sendable () -> Date

    public init(store: any Store, env: Environment, trust: TrustPolicy? = nil) {
        self.store = store
        self.config = env.config
        self.trust = trust
        self.display = env.describe(store)
        self.now = env.clock.now
    }

    /// The local backup folder, without the trust checks (what this host wrote itself).
    public static func local(_ env: Environment) -> Repository {
        Repository(store: env.local, env: env)
    }

    /// The local folder, or the remote called `remote` (reads go through its retry wrapper, so
    /// a dropped connection resumes where it stopped), checked against `[trust]` when the
    /// configuration has it. Without it, says once that nothing is authenticated.
    public static func open(_ env: Environment, remote: String?) throws -> Repository {
        let trust = try TrustPolicy.load(env.config)
        if trust == nil {
            env.logger.warning("[trust] is not configured: snapshots are not authenticated (a compromised location could forge them)")
        }
        let store: any Store = try remote.map { try env.remote(named: $0) } ?? env.local
        return Repository(store: store, env: env, trust: trust)
    }

    /// What a location holds of `job` (or of every job): the snapshots it accepts, oldest first
    /// within a job, and every problem found on the way.
    public func audit(job: String? = nil, now: Date? = nil) throws -> (snapshots: [Snapshot], problems: [TrustProblem]) {
        var snapshots: [Snapshot] = []
        var problems: [TrustProblem] = []
        for job in try config.jobs(named: job) {
            if let trust {
                let result = try TrustedCatalog(policy: trust, now: now ?? self.now()).audit(job: job, in: store)
                snapshots += result.snapshots
                problems += result.problems
            } else {
                let scan = try Catalog.scan(in: store, job: job.name)
                snapshots += scan.snapshots
                problems += scan.damaged.map {
                    TrustProblem(kind: .damaged, location: store.location, job: job.name, snapshot: nil, detail: "\($0.name): \($0.reason)")
                }
            }
        }
        return (snapshots, problems)
    }

    /// Complete (and, with `[trust]`, authenticated) snapshots; any trust problem fails.
    public func snapshots(job: String? = nil) throws -> [Snapshot] {
        let (snapshots, problems) = try audit(job: job)
        try Self.refuse(problems)
        return snapshots
    }

    /// The newest complete snapshot of each job that has one.
    public func latestSnapshots(job: String? = nil) throws -> [Snapshot] {
        let all = try snapshots(job: job)
        return Dictionary(grouping: all, by: \.manifest.job).values.compactMap { $0.last }.sorted { $0.id < $1.id }
    }

    /// The snapshot named `id`; an error naming it and the store when there is none, and, with
    /// `[trust]`, when it or its job's listing fails a check.
    public func snapshot(id: String) throws -> Snapshot {
        guard let parsed = SnapshotID(id) else {
            throw RespaldoError.usage("\"\(id)\" is not a snapshot id (expected <job>-YYYYMMDDTHHMMSSZ)")
        }
        if trust != nil {
            guard let job = config.job(named: parsed.job) else {
                throw RespaldoError.failed("snapshot \(id) belongs to no job of \(config.path): it cannot be authenticated")
            }
            let (snapshots, problems) = try audit(job: job.name)
            try Self.refuse(problems)
            guard let snapshot = snapshots.first(where: { $0.id == id }) else {
                throw RespaldoError.failed("no snapshot \(id) in \(store.location) (\(display))")
            }
            return snapshot
        }
        guard let snapshot = try Catalog.snapshot(in: store, id: parsed) else {
            throw RespaldoError.failed("no snapshot \(id) in \(store.location) (\(display))")
        }
        return snapshot
    }

    /// Fails on any signature or tamper problem. A damaged manifest (without `[trust]`) only
    /// takes its own snapshot out: `list` and `verify` report it, everything else goes on.
    static func refuse(_ problems: [TrustProblem]) throws {
        let problems = problems.filter { $0.kind != .damaged }
        guard !problems.isEmpty else { return }
        throw RespaldoError.failed(problems.map(\.description).joined(separator: "\n"))
    }
}
