import Foundation
import Storage

/// What `respaldo status` shows for a job; gathered from the state folder and the local
/// folder only (remote counts are those recorded at the last upload or prune), so it answers
/// at once even when a remote is down.
public struct JobStatus: Encodable, Sendable {
    public struct Run: Encodable, Sendable {
        public var startedAt: String
        public var finishedAt: String
        public var success: Bool
        public var snapshot: String?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case success, snapshot, error
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
    }

    public var job: String
    public var schedule: String?
    public var lastRun: Run?
    public var lastSuccess: String?
    public var nextRun: String?
    public var lastDrill: Run?
    public var nextDrill: String?
    /// Complete snapshots per location ("local", remote names).
    public var snapshots: [String: Int]
    /// Snapshot ids each remote still lacks.
    public var pendingUploads: [String: [String]]
    /// Why this job's run state could not be read (it is shown empty; the next run rebuilds it).
    public var problem: String?

    enum CodingKeys: String, CodingKey {
        case job, schedule, snapshots, problem
        case lastRun = "last_run"
        case lastSuccess = "last_success"
        case nextRun = "next_run"
        case lastDrill = "last_drill"
        case nextDrill = "next_drill"
        case pendingUploads = "pending_uploads"
    }

    public static func all(config: Config, now: Date) throws -> [JobStatus] {
        let local = LocalStore(root: config.localDir)
        let pending = PendingUploads(stateDir: config.stateDir)
        return config.jobs.map { job in
            let zone = config.timeZone(for: job)
            let (state, problem) = RunState.loadReporting(stateDir: config.stateDir, job: job.name)
            var snapshots = SnapshotCounts.load(stateDir: config.stateDir, job: job.name)
            snapshots["local"] = (try? Catalog.snapshots(in: local, job: job.name).count) ?? 0
            var status = JobStatus(
                job: job.name, schedule: job.schedule,
                lastRun: state.lastRun.map { run($0, zone) },
                lastSuccess: state.lastSuccess.map { RFC3339.format($0.finishedAt, in: zone) },
                nextRun: job.backupSchedule.map { RFC3339.format($0.nextFire(after: now, in: zone), in: zone) },
                lastDrill: state.lastDrill.map { run($0, zone) },
                nextDrill: job.drillSchedule.map { RFC3339.format($0.nextFire(after: now, in: zone), in: zone) },
                snapshots: snapshots,
                pendingUploads: Dictionary(job.remotes.map { ($0, pending.ids(remote: $0, job: job.name)) }, uniquingKeysWith: { first, _ in first }))
            status.problem = problem.map { "\($0)" }
            return status
        }
    }

    private static func run(_ record: RunRecord, _ zone: TimeZone) -> Run {
        Run(startedAt: RFC3339.format(record.startedAt, in: zone), finishedAt: RFC3339.format(record.finishedAt, in: zone),
            success: record.success, snapshot: record.snapshot, error: record.error)
    }
}
