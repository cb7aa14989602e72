import Foundation
import Logging
import Synchronization

/// Rewrites the `[metrics] textfile` from what is on record now: every job's run state, the
/// local folder, the recorded remote contents and the daemon's record. Called after every
/// operation that changes state (backup, upload, prune, verify, drill) and by the daemon on
/// its heartbeat, so the file never says what stopped being true. A failure is logged, never
/// thrown: metrics must not fail a backup.
public struct MetricsWriter {
    let env: Environment
    var config: Config { env.config }
    var logger: Logger { env.logger }

    public init(env: Environment) {
        self.env = env
    }

    /// Serializes the textfile's writers in this process: its temporary name is per process,
    /// and two runs of the daemon can finish at the same moment.
    private static let writing = Mutex(())

    public func write(now: Date? = nil) {
        let now = now ?? env.clock.now()
        guard let metrics = config.metrics else { return }
        Self.writing.withLock { _ in write(metrics, now: now) }
    }

    private func write(_ metrics: MetricsConfig, now: Date) {
        do {
            let inputs = JobFacts.gather(env, now: now).map { facts in
                if let problem = facts.stateProblem {
                    logger.error("metrics of job \(facts.job.name): its run series are left out, the run state cannot be read: \(problem)")
                }
                return JobMetricsInput(
                    job: facts.job.name, state: facts.stateReadable ? facts.state : nil,
                    locations: facts.locations.map { .init(name: $0.name, snapshots: $0.snapshots, newestAt: $0.newestAt) },
                    pendingUploads: facts.pending.mapValues(\.count), drills: facts.job.drill != nil,
                    staleAfter: facts.staleAfter, drillOverdueAfter: facts.drillOverdueAfter)
            }
            let daemon = try? DaemonRecord.load(stateDir: env.state.root)
            let expected = config.jobs.contains { $0.schedule != nil || $0.drill?.schedule != nil }
            try RespaldoMetrics.textfile(jobs: inputs, daemon: daemon, daemonExpected: expected).write(to: metrics.textfile)
        } catch {
            logger.error("cannot write the metrics textfile \(metrics.textfile): \(error)")
        }
    }
}
