import Foundation
import Storage

/// What respaldo knows of one job without connecting anywhere: its run state, the local
/// folder, and what was recorded of each remote at the last upload or prune. `status` and the
/// metrics are both built from it, so they never disagree.
public struct JobFacts: Sendable {
    /// One place the job's snapshots are kept.
    public struct Location: Sendable, Equatable {
        /// "local" or a remote's name.
        public var name: String
        /// Complete snapshots there; nil for a remote never looked at.
        public var snapshots: Int?
        public var newest: String?
        /// When the newest snapshot's dump began (the time in its id).
        public var newestAt: Date?
        /// For a remote: when its contents were recorded.
        public var recordedAt: Date?
    }

    public var job: JobConfig
    /// The run state; empty when it cannot be read (then `stateProblem` says why).
    public var state: RunState
    public var stateProblem: String?
    /// "local" first, then the job's remotes in config order.
    public var locations: [Location]
    /// Snapshot ids each remote still lacks.
    public var pending: [String: [String]]
    /// How old the newest snapshot may be (`Freshness`); nil without a schedule.
    public var staleAfter: TimeInterval?
    /// How old the last successful drill may be; nil without a drill schedule.
    public var drillOverdueAfter: TimeInterval?
    public var nextRun: Date?
    public var nextDrill: Date?

    public var stateReadable: Bool { stateProblem == nil }

    /// Gathers the facts of every job of the environment's configuration.
    public static func gather(_ env: Environment, now: Date) -> [JobFacts] {
        let config = env.config
        let local = env.local
        let pending = env.state.pending
        return config.jobs.map { job in
            let zone = job.timeZone
            let (state, problem) = RunState.loadReporting(stateDir: env.state.root, job: job.name)
            let localSnapshots = (try? Catalog.snapshots(in: local, job: job.name)) ?? []
            var locations = [Location(
                name: "local", snapshots: localSnapshots.count, newest: localSnapshots.last?.id,
                newestAt: localSnapshots.last.flatMap { SnapshotID($0.id)?.time })]
            let recorded = SnapshotCounts.entries(stateDir: env.state.root, job: job.name)
            for remote in job.remotes {
                let entry = recorded[remote]
                locations.append(Location(
                    name: remote, snapshots: entry?.snapshots, newest: entry?.newest,
                    newestAt: entry?.newest.flatMap { SnapshotID($0)?.time }, recordedAt: entry?.recordedAt))
            }
            return JobFacts(
                job: job, state: state, stateProblem: problem.map { "\($0)" }, locations: locations,
                pending: Dictionary(job.remotes.map { ($0, pending.ids(remote: $0, job: job.name)) }, uniquingKeysWith: { first, _ in first }),
                staleAfter: job.schedule.map { Freshness.limit(of: $0, in: zone, now: now) },
                drillOverdueAfter: job.drill?.schedule.map { Freshness.limit(of: $0, in: zone, now: now) },
                nextRun: job.schedule.map { $0.nextFire(after: now, in: zone) },
                nextDrill: job.drill?.schedule.map { $0.nextFire(after: now, in: zone) })
        }
    }
}
