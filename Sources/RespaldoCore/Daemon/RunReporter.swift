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

    let env: Environment
    let alerter: Alerter?
    var config: Config { env.config }
    var logger: Logger { env.logger }

    public init(env: Environment, alerter: Alerter?) {
        self.env = env
        self.alerter = alerter
    }

    /// Records, measures and alerts `entries` of `job`. Returns why the record could not be
    /// written, if it could not (already logged).
    @discardableResult
    public func report(job: String, _ entries: [Entry]) -> RespaldoError? {
        let failure = record(job: job, entries)
        MetricsWriter(env: env).write()
        if let alerter { alert(job: job, entries, alerter) }
        return failure
    }

    private func record(job: String, _ entries: [Entry]) -> RespaldoError? {
        // Prunes are not kept in the run state: the counts they leave are (SnapshotCounts).
        guard entries.contains(where: { if case .prune = $0 { false } else { true } }) else { return nil }
        do {
            try RunState.update(stateDir: env.state.root, job: job, onRebuild: { [logger] problem in
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
            let hint = geteuid() == 0 ? "" : " (was an earlier command run as another user? see `ls -l \(env.state.runStates)`)"
            return .operationFailed(.init(operation: "record", object: "the \(what) of job \(job)", cause: error) {
                "cannot record the \(what) of job \(job), so status and the metrics cannot show it: \($0)" + hint
            })
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
        let at = env.clock.now()
        do {
            return try AlertHistory.update(stateDir: env.state.root, job: job) { history in
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
