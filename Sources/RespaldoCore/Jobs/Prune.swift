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
        /// Removals refused by an Object Lock still in force, with the time it ends: not a
        /// failure, a later prune removes them.
        public var locked: [(id: String, until: Date)] = []
        /// Why this location was not pruned (an append-only remote), when it was not.
        public var skipped: String?
        /// The stored size of each snapshot decided on (its artifact) and of each stale file.
        public var sizes: [String: Int64] = [:]
        /// Files of no snapshot, older than the newest complete one, removed (or that would
        /// be, in a dry run): Orphans.swift.
        public var orphans: [String] = []
    }

    public let env: Environment
    var config: Config { env.config }
    var logger: Logger { env.logger }
    /// Logs each removal (off for `respaldo prune`, which prints a table of them).
    public var logsRemovals = true

    public init(env: Environment) {
        self.env = env
    }

    /// Prunes `job` in the local folder and then on each of its remotes; with `onlyRemote`,
    /// that remote alone (an admin host pruning an add-only remote with its own key).
    public func runEverywhere(job: JobConfig, dryRun: Bool, onlyRemote: String? = nil) throws -> [Report] {
        var reports: [Report] = []
        if onlyRemote == nil { reports.append(try run(job: job, store: env.local, dryRun: dryRun)) }
        let names = onlyRemote.map { [$0] } ?? job.remotes
        for name in names {
            if let skipped = skipReason(name) {
                logger.info("prune of \(job.name) at \(name) skipped: \(skipped)")
                reports.append(Report(location: name, decisions: [], stalePartials: [], skipped: skipped))
                continue
            }
            let target = try env.remote(named: name)
            let pending = Set(env.state.pending.ids(remote: target.location, job: job.name))
            reports.append(try run(job: job, store: target, dryRun: dryRun, resumable: pending))
        }
        return reports
    }

    /// Why this host does not prune remote `name`, or nil when it does.
    func skipReason(_ name: String) -> String? {
        guard config.remote(named: name)?.appendOnly == true else { return nil }
        return "append_only: this host never deletes there; prune it from a host with its own key (respaldo prune --remote \(name))"
    }

    /// Runs under the job's lock (the caller holds it), so no backup of this job is writing a
    /// `.partial` right now: any there is stale, except a remote one that a pending upload
    /// will resume.
    public func run(job: JobConfig, store: any Store, dryRun: Bool, resumable: Set<String> = []) throws -> Report {
        let snapshots = try countedSnapshots(job: job, in: store)
        let zone = job.timeZone
        let decisions = Retention.decide(
            snapshots.compactMap { snapshot in SnapshotID(snapshot.id).map { (snapshot.id, $0.time) } },
            policy: config.retention, timeZone: zone)
        // Ids come from file names, which a damaged or hostile copy may repeat: never trap on it.
        let byID = Dictionary(snapshots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let removals = Set(decisions.filter { !$0.keep }.map(\.id))
        if !dryRun, let signer = try config.signing.map(ManifestSigner.load) {
            // The inventory goes first, without what is about to go: a verifier running during
            // the deletions must not find a listed snapshot missing.
            try InventoryPublisher(env: env, signer: signer).publish(job: job.name, at: store, excluding: removals)
        }
        var locked: [(id: String, until: Date)] = []
        if !dryRun, let locking = store as? any ObjectLocking, let policy = locking.lockPolicy {
            try extendLocks(of: snapshots.filter { !removals.contains($0.id) }, in: locking, days: policy.days)
        }
        for decision in decisions where !decision.keep {
            guard let snapshot = byID[decision.id] else { continue }
            if dryRun { continue }
            do {
                // Manifest first: a snapshot half-deleted is an orphan artifact, never a
                // manifest pointing at nothing. A lock refuses the manifest before anything.
                try store.delete(snapshot.files.manifest)
                try store.delete(snapshot.files.signature)
                try store.delete(snapshot.artifactPath)
            } catch StorageError.locked(_, _, let until) {
                logger.info("prune \(snapshot.id) (\(store.location)): locked until \(rfc3339(until)); a later prune removes it")
                locked.append((snapshot.id, until))
                continue
            } catch {
                env.audit.record(.pruneDelete, job: job.name, snapshot: snapshot.id, target: store.location, error: error)
                throw error
            }
            env.audit.record(.pruneDelete, job: job.name, snapshot: snapshot.id, target: store.location)
            if logsRemovals { logger.info("prune \(snapshot.id) (\(store.location)): removed") }
        }
        let staleObjects = try store.partials(job.name).filter { object in
            let base = String(object.name.split(separator: "/").last ?? "")
            return !resumable.contains { base.hasPrefix($0 + ".") }
        }
        let stale = staleObjects.map(\.name)
        if !dryRun {
            for name in stale {
                do {
                    try store.delete(name)
                } catch StorageError.invalidName {
                    // A name a peer chose that no store call may carry (a control character):
                    // it is reported, and never stops the rest of the prune.
                    logger.warning("prune (\(store.location)): cannot remove \(escaped(name)): not a valid stored name; remove it by hand")
                    continue
                }
                if logsRemovals { logger.info("prune (\(store.location)): removed stale \(escaped(name))") }
            }
        }
        // `resumable` too: a pending upload to this remote may have renamed its artifact before
        // it was cut off, and publishes the manifest next time.
        let newest = snapshots.compactMap { SnapshotID($0.id) }.max()
        let listing = try store.list(job.name)
        let orphans = Orphans.find(in: listing, job: job.name, newest: newest, keep: resumable)
        if !dryRun {
            for name in orphans {
                do {
                    try store.delete(name)
                    if logsRemovals { logger.info("prune (\(store.location)): removed orphan \(name): no manifest, older than the newest snapshot") }
                } catch StorageError.locked(_, _, let until) {
                    logger.info("prune (\(store.location)): orphan \(name) is locked until \(rfc3339(until)); a later prune removes it")
                }
            }
        }
        if !dryRun && !env.isLocal(store) {
            let kept = decisions.filter(\.keep).map(\.id)
            SnapshotCounts.record(stateDir: env.state.root, job: job.name, location: store.location, count: kept.count, newest: kept.max(), at: env.clock.now())
            let keptIDs = Set(kept).union(locked.map(\.id))  // a locked one is still there
            RemoteCopies.replace(snapshots.filter { keptIDs.contains($0.id) }.map(\.manifest), stateDir: env.state.root, remote: store.location, job: job.name)
        }
        var report = Report(location: store.location, decisions: decisions, stalePartials: stale, locked: locked, orphans: orphans)
        for snapshot in snapshots { report.sizes[snapshot.id] = snapshot.manifest.artifact.bytes }
        for object in staleObjects { report.sizes[object.name] = object.size }
        for object in listing where orphans.contains(object.name) { report.sizes[object.name] = object.size }
        return report
    }

    /// The snapshots retention counts: with `[trust]`, only those the backup server signed, so
    /// that forged "newer" snapshots can never push genuine ones out of the policy.
    private func countedSnapshots(job: JobConfig, in store: any Store) throws -> [Snapshot] {
        guard let trust = try TrustPolicy.load(config) else { return try Catalog.snapshots(in: store, job: job.name) }
        let result = try TrustedCatalog(policy: trust, now: env.clock.now()).audit(job: job, in: store)
        for problem in result.problems { logger.warning("prune: \(problem); not counted, not deleted") }
        return result.snapshots
    }

    /// Keeps every object of each kept snapshot locked for `days` from now (never shortened).
    private func extendLocks(of kept: [Snapshot], in store: any ObjectLocking, days: Int) throws {
        let until = env.clock.now().addingTimeInterval(Double(days) * 86400)
        for snapshot in kept {
            for name in [snapshot.files.artifact, snapshot.files.signature, snapshot.files.manifest] {
                do {
                    try store.extendRetention(of: name, until: until)
                } catch StorageError.notFound {
                    continue  // an unsigned snapshot has no signature to lock
                }
            }
        }
    }
}
