import Foundation
import Logging
import Storage

/// `respaldo prune`: applies the retention policy to one job in one store. Only complete
/// snapshots count; a snapshot's manifest goes before its artifact, so an interrupted prune
/// never leaves a manifest that points at nothing.
public struct PruneJob {
    public struct Report: Sendable {
        public var location: String
        public var decisions: [Retention.Decision]
        /// Stale `.partial` files removed (or that would be, in a dry run).
        public var stalePartials: [String]
    }

    public let config: Config
    public let logger: Logger

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Prunes `job` in the local folder and then on each of its remotes.
    public func runEverywhere(job: JobConfig, dryRun: Bool) throws -> [Report] {
        var reports = [try run(job: job, store: Repository.local(config).store, dryRun: dryRun)]
        for target in try RemoteStores(config: config, logger: logger).stores(for: job) {
            let pending = Set(PendingUploads(stateDir: config.stateDir).ids(remote: target.location, job: job.name))
            reports.append(try run(job: job, store: target, dryRun: dryRun, resumable: pending))
        }
        return reports
    }

    /// Runs under the job's lock (the caller holds it), so no backup of this job is writing a
    /// `.partial` right now: any there is stale, except a remote one that a pending upload
    /// will resume.
    public func run(job: JobConfig, store: any Store, dryRun: Bool, resumable: Set<String> = []) throws -> Report {
        let snapshots = try Catalog.snapshots(in: store, job: job.name)
        let zone = TimeZone(identifier: job.timezone ?? config.timezone) ?? .current
        let decisions = Retention.decide(
            snapshots.compactMap { snapshot in SnapshotID(snapshot.id).map { (snapshot.id, $0.time) } },
            policy: config.retention, timeZone: zone)
        // Ids come from file names, which a damaged or hostile copy may repeat: never trap on it.
        let byID = Dictionary(snapshots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let removals = Set(decisions.filter { !$0.keep }.map(\.id))
        if !dryRun, let signer = try config.signing.map(ManifestSigner.load) {
            // The inventory goes first, without what is about to go: a verifier running during
            // the deletions must not find a listed snapshot missing.
            try InventoryPublisher(signer: signer, stateDir: config.stateDir, logger: logger).publish(job: job.name, at: store, excluding: removals)
        }
        for decision in decisions where !decision.keep {
            guard let snapshot = byID[decision.id] else { continue }
            if dryRun { continue }
            do {
                try store.delete(ManifestFiles.manifestName(snapshot.id, job: job.name))
                try store.delete(ManifestFiles.signatureName(snapshot.id, job: job.name))
                try store.delete(snapshot.artifactPath)
            } catch {
                Audit.record(config, .pruneDelete, job: job.name, snapshot: snapshot.id, target: store.location, error: error, logger: logger)
                throw error
            }
            Audit.record(config, .pruneDelete, job: job.name, snapshot: snapshot.id, target: store.location, logger: logger)
            logger.info("prune \(snapshot.id) (\(store.location)): removed")
        }
        let stale = try store.partials(job.name).map(\.name).filter { name in
            let base = String(name.split(separator: "/").last ?? "")
            return !resumable.contains { base.hasPrefix($0 + ".") }
        }
        if !dryRun {
            for name in stale {
                try store.delete(name)
                logger.info("prune (\(store.location)): removed stale \(name)")
            }
        }
        if !dryRun && !(store is LocalStore) {
            SnapshotCounts.record(stateDir: config.stateDir, job: job.name, location: store.location, count: decisions.filter(\.keep).count)
        }
        return Report(location: store.location, decisions: decisions, stalePartials: stale)
    }
}
