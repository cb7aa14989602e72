import Foundation
import Logging

/// How one run of a task ended.
public struct TaskOutcome: Sendable {
    public enum Result: Sendable, Equatable {
        case success
        /// The local snapshot is complete, but a remote copy failed (it stays pending).
        case uploadFailure
        case failure
    }

    public var task: DaemonTask
    public var result: Result
    public var snapshot: String?
    public var plainBytes: Int64?
    public var artifactBytes: Int64?
    /// Why it failed, its cause kept; for `uploadFailure`, every failed remote copy.
    public var error: (any Error)?
    public var startedAt: Date
    public var finishedAt: Date
}

/// The failed steps of one run (its remote copies) as one error, said on one line.
public struct RunFailures: Error, CustomStringConvertible {
    public var errors: [RespaldoError]
    public var description: String { errors.map(\.description).joined(separator: "; ") }
}

/// Runs one task the way `respaldo backup` would, under the job's lock. A lock held by an
/// operator's run is waited for (checking `shouldStop`), never skipped and never overlapped.
struct TaskRunner {
    /// Its cancellation is the daemon's: each backup's token (with its timeout) is a child of it.
    let env: Environment
    /// True once the daemon is stopping: a waiting run gives up.
    let shouldStop: @Sendable () -> Bool
    let alerter: Alerter?
    var config: Config { env.config }
    var logger: Logger { env.logger }
    static let lockPollSeconds: UInt32 = 5

    func run(_ task: DaemonTask) -> TaskOutcome {
        let started = env.clock.now()
        var outcome = TaskOutcome(task: task, result: .failure, startedAt: started, finishedAt: started)
        guard let job = config.job(named: task.job) else {
            outcome.error = RespaldoError.failed("job \(task.job) is no longer in \(config.path)")
            return outcome
        }
        do {
            switch task.kind {
            case .backup:
                let (manifest, uploadFailures) = try whenUnlocked(job) {
                    try BackupJob(env: env, jobName: job.name).runRecorded(upload: true, alerter: alerter)
                }
                outcome.snapshot = manifest.id
                outcome.plainBytes = manifest.plain.bytes
                outcome.artifactBytes = manifest.artifact.bytes
                outcome.result = uploadFailures.isEmpty ? .success : .uploadFailure
                if !uploadFailures.isEmpty { outcome.error = RunFailures(errors: uploadFailures) }
            case .drill:
                // On a DR host: the newest geo copy (the job's first remote), else the local one.
                let report = try DrillJob(env: env, jobName: job.name)
                    .runRecorded(remote: job.remotes.first, alerter: alerter)
                logger.info("\(report.summary)")
                outcome.snapshot = report.snapshot
                outcome.result = report.ok ? .success : .failure
                if !report.ok { outcome.error = RespaldoError.failed(report.error ?? "drill checks failed") }
            }
        } catch {
            outcome.error = error
        }
        outcome.finishedAt = max(outcome.finishedAt, env.clock.now())
        return outcome
    }

    /// Retries `body` while it fails because another process holds the job's lock.
    private func whenUnlocked<T>(_ job: JobConfig, _ body: () throws -> T) throws -> T {
        var logged = false
        while true {
            do {
                return try body()
            } catch let error as RespaldoError where error.isLockHeld {
                if shouldStop() { throw error }
                if !logged {
                    logger.warning("job \(job.name): another run holds its lock (an operator's respaldo backup?); waiting for it to finish")
                    logged = true
                }
                sleep(Self.lockPollSeconds)
            }
        }
    }

    /// Uploads what each remote lacks, for every job with pending uploads (with `everyRemote`,
    /// for every job and remote: the catalogs are compared even where no marker says so, which
    /// the daemon does once at start). True when nothing is left pending. Jobs whose lock is
    /// held are left for the next round.
    func retryPendingUploads(everyRemote: Bool = false) -> Bool {
        let pending = env.state.pending
        var clean = true
        for job in config.jobs where !job.remotes.isEmpty {
            let remotes = everyRemote ? job.remotes : job.remotes.filter { !pending.ids(remote: $0, job: job.name).isEmpty }
            guard !remotes.isEmpty else { continue }
            guard let lock = try? env.state.lock(job: job.name) else {
                clean = false
                continue
            }
            defer { withExtendedLifetime(lock) {} }
            for remote in remotes {
                let round: UploadJob.Round
                do {
                    round = try UploadJob(env: env).uploadMissingRecorded(job: job, remote: remote, alerter: alerter, onlyNews: true)
                } catch {
                    round = UploadJob.Round(error: error)
                }
                if let error = round.error {
                    clean = false
                    logger.warning("pending uploads of \(job.name) to \(remote) still failing: \(error)")
                } else if !round.uploaded.isEmpty {
                    logger.info("pending uploads of \(job.name) to \(remote): sent \(round.uploaded.joined(separator: ", "))")
                }
            }
        }
        return clean
    }
}
