import Foundation
import Logging

/// What follows every operation that changes state, whoever started it (the daemon or a
/// command): its record in the run state (`status`, catch-up), the metrics textfile, and the
/// alerts through the job's alert history (rate limit, recoveries).
///
/// A record that cannot be written is returned as an error, and the command fails with it:
/// a run that `status` and the metrics can never show is a silent failure (the root
/// run that left the service user unable to record anything). The metrics and the alerts are
/// never a reason to fail; their problems are logged.
public struct RunReporter {
    /// One outcome to record.
    public enum Entry: Sendable {
        /// A backup run; `steps` are its remote copies and prunes (empty when it threw).
        case backup(RunRecord, steps: [BackupRun.Step])
        case drill(RunRecord, location: String)
        /// Everything one upload round owed `remote` (one backup's copy is a `.backup` step).
        case upload(RunRecord, remote: String)
        case verify(RunRecord, location: String)
        /// Retention of the job; `location` nil when it ran everywhere.
        case prune(RunRecord, location: String?)
    }

    let config: Config
    let logger: Logger
    let alerter: Alerter?
    let now: @Sendable () -> Date

    public init(config: Config, logger: Logger, alerter: Alerter?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.logger = logger
        self.alerter = alerter
        self.now = now
    }

    /// Records, measures and alerts `entries` of `job`. Returns why the record could not be
    /// written, if it could not (already logged).
    @discardableResult
    public func report(job: String, _ entries: [Entry]) -> RespaldoError? {
        let failure = record(job: job, entries)
        MetricsWriter(config: config, logger: logger).write()
        if let alerter { alert(job: job, entries, alerter) }
        return failure
    }

    private func record(job: String, _ entries: [Entry]) -> RespaldoError? {
        // Prunes are not kept in the run state: the counts they leave are (SnapshotCounts).
        guard entries.contains(where: { if case .prune = $0 { false } else { true } }) else { return nil }
        do {
            try RunState.update(stateDir: config.stateDir, job: job, onRebuild: { [logger] problem in
                logger.error("job \(job): \(problem); kept as .corrupt and rebuilt from this run")
            }) { state in
                for entry in entries {
                    switch entry {
                    case let .backup(record, steps):
                        state.recordRun(record)
                        for step in steps where step.kind == .upload {
                            state.recordUpload(stepRecord(step, of: record), remote: step.location)
                        }
                    case let .drill(record, _): state.recordDrill(record)
                    case let .upload(record, remote): state.recordUpload(record, remote: remote)
                    case let .verify(record, location): state.recordVerify(record, location: location)
                    case .prune: break
                    }
                }
            }
            return nil
        } catch {
            let what = entries.first.map(Self.kind)?.rawValue ?? "run"
            logger.error("cannot record the \(what) of job \(job): \(error)")
            return .failed("cannot record the \(what) of job \(job), so status and the metrics cannot show it: \(error)"
                + (geteuid() == 0 ? "" : " (was an earlier command run as another user? see `ls -l \(config.stateDir)/runs`)"))
        }
    }

    /// A step's own record: the run's times, the step's error.
    private func stepRecord(_ step: BackupRun.Step, of run: RunRecord) -> RunRecord {
        RunRecord(startedAt: run.startedAt, finishedAt: run.finishedAt, success: step.error == nil, snapshot: run.snapshot,
                  error: step.error?.description, result: step.error == nil ? .success : .failure)
    }

    private static func kind(_ entry: Entry) -> OperationKind {
        switch entry {
        case .backup: .backup
        case .drill: .drill
        case .upload: .upload
        case .verify: .verify
        case .prune: .prune
        }
    }

    // MARK: - Alerts

    private func alert(job: String, _ entries: [Entry], _ alerter: Alerter) {
        var events: [(AlertEvent, quietSuccess: Bool)] = []
        for entry in entries {
            switch entry {
            case let .backup(record, steps):
                // The run's own event, failed also when its bookkeeping (the signed local
                // inventory) failed; then one event per failed or recovering copy and prune.
                let own = steps.filter { $0.kind == .backup }.compactMap(\.error)
                let error = record.success ? (own.isEmpty ? nil : own.map(\.description).joined(separator: "\n")) : record.error ?? "failed"
                events.append((event(.backup, job, nil, record, error: error), false))
                for step in steps where step.kind != .backup {
                    events.append((event(step.kind, job, step.location, record, error: step.error?.description), true))
                }
                alerter.ping(record.outcome == .success ? .success : .failure, body: record.error ?? "")
            case let .drill(record, location):
                events.append((event(.drill, job, location, record, error: record.success ? nil : record.error ?? "failed"), false))
                alerter.ping(record.success ? .success : .failure, body: record.error ?? "")
            case let .upload(record, remote):
                events.append((event(.upload, job, remote, record, error: record.success ? nil : record.error ?? "failed"), false))
            case let .verify(record, location):
                events.append((event(.verify, job, location, record, error: record.success ? nil : record.error ?? "failed"), false))
            case let .prune(record, location):
                events.append((event(.prune, job, location, record, error: record.success ? nil : record.error ?? "failed"), false))
            }
        }
        let admitted = admit(job: job, events.map(\.0))
        for (index, item) in admitted.enumerated() {
            guard let item else { continue }
            // A copy or prune that merely succeeded is the backup's own success: said once.
            if events[index].quietSuccess && item.event.event == .success { continue }
            alerter.send(item)
        }
    }

    private func event(_ kind: OperationKind, _ job: String, _ location: String?, _ record: RunRecord, error: String?) -> AlertEvent {
        AlertEvent.outcome(kind, job: job, location: location, snapshot: record.snapshot, error: error,
                           startedAt: record.startedAt, finishedAt: record.finishedAt)
    }

    /// The events the job's alert history lets through (nil: held back by the rate limit,
    /// and logged). Without a usable history every event goes: one alert too many rather
    /// than one too few.
    private func admit(job: String, _ events: [AlertEvent]) -> [AlertHistory.Admitted?] {
        let at = now()
        do {
            return try AlertHistory.update(stateDir: config.stateDir, job: job) { history in
                events.map { event in
                    let streak = history.streams[AlertHistory.stream(of: event)]
                    let admitted = history.admit(event, now: at)
                    if admitted == nil, let streak {
                        logger.notice("\(event.what): not alerted again, same error as the alert of \(rfc3339(streak.lastSentAt)) (at most one alert an hour per failure; \(streak.held + 1) held back)")
                    }
                    return admitted
                }
            }
        } catch {
            logger.error("alert history of job \(job) unusable, alerting without rate limit: \(error)")
            return events.map { AlertHistory.Admitted(event: $0) }
        }
    }
}

extension BackupJob {
    /// `run(upload:)`, then the run state, metrics and alerts, whoever started it (the daemon or
    /// `respaldo backup`), so `status` and the metrics show operators' runs too. A run that
    /// never started — the job locked, a usage or configuration error — records and alerts
    /// nothing: it did not happen. A run that cannot be recorded returns that as a failure.
    public func runRecorded(upload: Bool, alerter: Alerter?) throws -> (manifest: Manifest, uploadFailures: [RespaldoError]) {
        let started = Date()
        let reporter = RunReporter(config: config, logger: logger, alerter: alerter)
        var job = self
        job.onStart = { alerter?.ping(.start) }
        let run: BackupRun
        do {
            run = try job.runReporting(upload: upload)
        } catch {
            guard exitStatus(for: error) == 1 else { throw error }
            reporter.report(job: self.job.name, [.backup(
                RunRecord(startedAt: started, finishedAt: Date(), success: false, error: "\(error)", result: .failure), steps: [])])
            throw error
        }
        let failures = run.failures
        let record = RunRecord(
            startedAt: started, finishedAt: Date(), success: true, snapshot: run.manifest.id,
            plainBytes: run.manifest.plain.bytes, artifactBytes: run.manifest.artifact.bytes,
            error: failures.isEmpty ? nil : failures.map(\.description).joined(separator: "; "), result: run.result)
        let unrecorded = reporter.report(job: self.job.name, [.backup(record, steps: run.steps)])
        return (run.manifest, failures + (unrecorded.map { [$0] } ?? []))
    }
}

extension DrillJob {
    /// `run`, then the drill's run state (`status`, the drill metrics), the audit log and the
    /// alerts (kind `drill`), whoever started it. A drill that never started for a usage or
    /// configuration error (no identity for an encrypted snapshot) records and alerts nothing.
    /// A drill that cannot be recorded throws, after the audit log has it.
    public func runRecorded(remote: String?, snapshotID: String? = nil, identityFile: String? = nil, alerter: Alerter?) throws -> DrillReport {
        let started = Date()
        let reporter = RunReporter(config: config, logger: logger, alerter: alerter)
        let report: DrillReport
        do {
            report = try run(remote: remote, snapshotID: snapshotID, identityFile: identityFile)
        } catch {
            guard exitStatus(for: error) == 1 else { throw error }
            Audit.record(config, .drill, job: job.name, snapshot: snapshotID, target: remote ?? "local", error: error, logger: logger)
            reporter.report(job: job.name, [.drill(
                RunRecord(startedAt: started, finishedAt: Date(), success: false, snapshot: snapshotID, error: "\(error)", result: .failure),
                location: remote ?? "local")])
            throw error
        }
        let problem = report.ok ? nil : report.error ?? "failed checks: " + report.checks.filter { !$0.ok }.map(\.name).joined(separator: ", ")
        Audit.record(config, .drill, job: job.name, snapshot: report.snapshot, target: report.location,
                     error: problem.map { RespaldoError.failed($0) }, logger: logger)
        let record = RunRecord(
            startedAt: started, finishedAt: Date(), success: report.ok, snapshot: report.snapshot,
            plainBytes: report.plainBytes, artifactBytes: report.artifactBytes, error: problem,
            result: report.ok ? .success : .failure)
        if let unrecorded = reporter.report(job: job.name, [.drill(record, location: report.location)]) {
            throw RespaldoError.failed("\(report.summary); but: \(unrecorded)")
        }
        return report
    }
}
