import Foundation
import Logging
import Storage

/// What follows every run: the run state (for `status` and catch-up), the metrics textfile and
/// the alerts. None of it can fail the run: each problem is logged.
struct RunReporter {
    let config: Config
    let logger: Logger
    let alerter: Alerter?

    func report(_ outcome: TaskOutcome) {
        let record = RunRecord(
            startedAt: outcome.startedAt, finishedAt: outcome.finishedAt, success: outcome.result != .failure,
            snapshot: outcome.snapshot, plainBytes: outcome.plainBytes, artifactBytes: outcome.artifactBytes,
            error: outcome.error)
        do {
            _ = try RunState.update(stateDir: config.stateDir, job: outcome.task.job, onRebuild: { [logger] problem in
                logger.error("job \(outcome.task.job): \(problem); kept as .corrupt and rebuilt from this run")
            }) { state in
                switch outcome.task.kind {
                case .backup: state.recordRun(record)
                case .drill: state.recordDrill(record)
                }
            }
        } catch {
            logger.error("cannot record the run of \(outcome.task): \(error)")
        }
        writeMetrics()
        guard let alerter else { return }
        let status: AlertStatus = switch (outcome.task.kind, outcome.result) {
        case (_, .success): .success
        case (_, .uploadFailure): .uploadFailure
        case (.drill, .failure): .verifyFailure
        case (.backup, .failure): .failure
        }
        alerter.finish(AlertEvent(
            job: outcome.task.job, status: status, snapshot: outcome.snapshot, error: outcome.error,
            host: hostName(), startedAt: outcome.startedAt, finishedAt: outcome.finishedAt))
    }

    /// Serializes the textfile's writers in this process: its temporary name is per process,
    /// and two runs of the daemon can finish at the same moment.
    private static let metricsLock = NSLock()

    /// Rewrites the metrics textfile from the run states and what is stored now.
    func writeMetrics() {
        guard let metrics = config.metrics else { return }
        Self.metricsLock.lock()
        defer { Self.metricsLock.unlock() }
        do {
            let pending = PendingUploads(stateDir: config.stateDir)
            let local = LocalStore(root: config.localDir)
            let inputs = config.jobs.map { job in
                var snapshots = SnapshotCounts.load(stateDir: config.stateDir, job: job.name)
                snapshots["local"] = (try? Catalog.snapshots(in: local, job: job.name).count) ?? 0
                let (state, problem) = RunState.loadReporting(stateDir: config.stateDir, job: job.name)
                if let problem { logger.error("metrics of job \(job.name): run state unusable: \(problem)") }
                return JobMetricsInput(
                    state: state,
                    snapshots: snapshots,
                    pendingUploads: Dictionary(job.remotes.map { ($0, pending.ids(remote: $0, job: job.name).count) }, uniquingKeysWith: { first, _ in first }),
                    drills: job.drill != nil)
            }
            try RespaldoMetrics.textfile(jobs: inputs).write(to: metrics.textfile)
        } catch {
            logger.error("cannot write the metrics textfile \(metrics.textfile): \(error)")
        }
    }
}

extension BackupJob {
    /// `run(upload:)`, then the run state, metrics and alerts, whoever started it (the daemon or
    /// `respaldo backup`), so `status` and the metrics show operators' runs too. A run that
    /// could not start because the job is locked records nothing: it did not happen.
    public func runRecorded(upload: Bool, alerter: Alerter?) throws -> (manifest: Manifest, uploadFailures: [RespaldoError]) {
        let started = Date()
        let reporter = RunReporter(config: config, logger: logger, alerter: alerter)
        let task = DaemonTask(job: job.name, kind: .backup)
        var job = self
        job.onStart = { alerter?.ping(.start) }
        do {
            let result = try job.run(upload: upload)
            reporter.report(TaskOutcome(
                task: task, result: result.uploadFailures.isEmpty ? .success : .uploadFailure,
                snapshot: result.manifest.id, plainBytes: result.manifest.plain.bytes,
                artifactBytes: result.manifest.artifact.bytes,
                error: result.uploadFailures.isEmpty ? nil : result.uploadFailures.map(\.description).joined(separator: "; "),
                startedAt: started, finishedAt: Date()))
            return result
        } catch let error as RespaldoError where error.exitStatus == 75 {
            throw error
        } catch {
            reporter.report(TaskOutcome(task: task, result: .failure, error: "\(error)", startedAt: started, finishedAt: Date()))
            throw error
        }
    }
}

extension DrillJob {
    /// `run`, then the drill's run state (`status`, the last-drill metric), the audit log and
    /// the alerts (a failed drill alerts as `verify_failure`), whoever started it.
    public func runRecorded(remote: String?, snapshotID: String? = nil, identityFile: String? = nil, alerter: Alerter?) throws -> DrillReport {
        let started = Date()
        let reporter = RunReporter(config: config, logger: logger, alerter: alerter)
        let task = DaemonTask(job: job.name, kind: .drill)
        do {
            let report = try run(remote: remote, snapshotID: snapshotID, identityFile: identityFile)
            let problem = report.ok ? nil : report.error ?? "failed checks: " + report.checks.filter { !$0.ok }.map(\.name).joined(separator: ", ")
            Audit.record(config, .drill, job: job.name, snapshot: report.snapshot, target: report.location,
                         error: problem.map { RespaldoError.failed($0) }, logger: logger)
            reporter.report(TaskOutcome(
                task: task, result: report.ok ? .success : .failure, snapshot: report.snapshot,
                plainBytes: report.plainBytes, artifactBytes: report.artifactBytes, error: problem,
                startedAt: started, finishedAt: Date()))
            return report
        } catch {
            Audit.record(config, .drill, job: job.name, snapshot: snapshotID, target: remote ?? "local", error: error, logger: logger)
            reporter.report(TaskOutcome(task: task, result: .failure, snapshot: snapshotID, error: "\(error)", startedAt: started, finishedAt: Date()))
            throw error
        }
    }
}
