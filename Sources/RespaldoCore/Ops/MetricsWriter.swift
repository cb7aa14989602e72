import Foundation
import Logging

/// Rewrites the `[metrics] textfile` from what is on record now: every job's run state, the
/// local folder, the recorded remote contents and the daemon's record. Called after every
/// operation that changes state (backup, upload, prune, verify, drill) and by the daemon on
/// its heartbeat, so the file never says what stopped being true. A failure is logged, never
/// thrown: metrics must not fail a backup.
public struct MetricsWriter {
    let config: Config
    let logger: Logger

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Serializes the textfile's writers in this process: its temporary name is per process,
    /// and two runs of the daemon can finish at the same moment.
    private static let lock = NSLock()

    public func write(now: Date = Date()) {
        guard let metrics = config.metrics else { return }
        Self.lock.lock()
        defer { Self.lock.unlock() }
        do {
            let inputs = JobFacts.gather(config, now: now).map { facts in
                if let problem = facts.stateProblem {
                    logger.error("metrics of job \(facts.job.name): its run series are left out, the run state cannot be read: \(problem)")
                }
                return JobMetricsInput(
                    job: facts.job.name, state: facts.stateReadable ? facts.state : nil,
                    locations: facts.locations.map { .init(name: $0.name, snapshots: $0.snapshots, newestAt: $0.newestAt) },
                    pendingUploads: facts.pending.mapValues(\.count), drills: facts.job.drill != nil,
                    staleAfter: facts.staleAfter, drillOverdueAfter: facts.drillOverdueAfter)
            }
            let daemon = try? DaemonRecord.load(stateDir: config.stateDir)
            let expected = config.jobs.contains { $0.backupSchedule != nil || $0.drillSchedule != nil }
            try RespaldoMetrics.textfile(jobs: inputs, daemon: daemon, daemonExpected: expected).write(to: metrics.textfile)
        } catch {
            logger.error("cannot write the metrics textfile \(metrics.textfile): \(error)")
        }
    }
}
