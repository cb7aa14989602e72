import Foundation
import Logging

// A run started by an operator and one the daemon fires leave the same traces: the run
// state, the metrics, the alerts (RunReporter) and, for a drill, the audit log. These wrap
// the jobs' runs with that, so neither the command line nor the daemon records anything itself.

extension BackupJob {
    /// `run(upload:)`, then the run state, metrics and alerts, whoever started it (the daemon or
    /// `respaldo backup`), so `status` and the metrics show operators' runs too. A run that
    /// never started — the job locked, a usage or configuration error — records and alerts
    /// nothing: it did not happen. A run that cannot be recorded returns that as a failure.
    public func runRecorded(upload: Bool, alerter: Alerter?) throws -> (manifest: Manifest, uploadFailures: [RespaldoError]) {
        let started = env.clock.now()
        let reporter = RunReporter(env: env, alerter: alerter)
        var job = self
        job.onStart = { alerter?.ping(.start) }
        let run: BackupRun
        do {
            run = try job.runReporting(upload: upload)
        } catch {
            guard RespaldoError.kind(of: error) == .failed else { throw error }
            reporter.report(job: self.job.name, [.backup(
                RunRecord(startedAt: started, finishedAt: env.clock.now(), success: false, error: "\(error)", result: .failure), steps: [])])
            throw error
        }
        let failures = run.failures
        let record = RunRecord(
            startedAt: started, finishedAt: env.clock.now(), success: true, snapshot: run.manifest.id,
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
        let started = env.clock.now()
        let reporter = RunReporter(env: env, alerter: alerter)
        let report: DrillReport
        do {
            report = try run(remote: remote, snapshotID: snapshotID, identityFile: identityFile)
        } catch {
            guard RespaldoError.kind(of: error) == .failed else { throw error }
            env.audit.record(.drill, job: job.name, snapshot: snapshotID, target: remote ?? "local", error: error)
            reporter.report(job: job.name, [.drill(
                RunRecord(startedAt: started, finishedAt: env.clock.now(), success: false, snapshot: snapshotID, error: "\(error)", result: .failure),
                location: remote ?? "local")])
            throw error
        }
        let problem = report.ok ? nil : report.error ?? "failed checks: " + report.checks.filter { !$0.ok }.map(\.name).joined(separator: ", ")
        env.audit.record(.drill, job: job.name, snapshot: report.snapshot, target: report.location,
                         error: problem.map { RespaldoError.failed($0) })
        let record = RunRecord(
            startedAt: started, finishedAt: env.clock.now(), success: report.ok, snapshot: report.snapshot,
            plainBytes: report.plainBytes, artifactBytes: report.artifactBytes, error: problem,
            result: report.ok ? .success : .failure)
        if let unrecorded = reporter.report(job: job.name, [.drill(record, location: report.location)]) {
            throw RespaldoError.failed("\(report.summary); but: \(unrecorded)")
        }
        return report
    }
}

extension UploadJob {
    /// What one round of `uploadMissing` to one remote came to.
    public struct Round {
        public var uploaded: [String] = []
        /// Why the round failed (the snapshots concerned stay pending).
        public var error: (any Error)?
        /// Why the round could not be recorded, if it could not.
        public var unrecorded: RespaldoError?
    }

    /// `uploadMissing(job:to:)` for the remote called `remote`, then its record (run state,
    /// metrics, alerts of kind upload), for `respaldo upload` and the daemon's retry rounds
    /// alike. With `onlyNews`, a round that sent nothing after a successful one is not
    /// recorded (the daemon retries every few minutes; that is not news). For a command, errors
    /// that say the round never started (a remote that cannot be opened) are thrown, not
    /// recorded: the operator reads them. A daemon round records them: nobody else would.
    public func uploadMissingRecorded(job: JobConfig, remote: String, alerter: Alerter?, onlyNews: Bool = false) throws -> Round {
        let started = env.clock.now()
        var record = RunRecord(startedAt: started, finishedAt: started, success: true, result: .success)
        var round = Round()
        do {
            round.uploaded = try uploadMissing(job: job, to: try env.remote(named: remote))
            record.snapshot = round.uploaded.last
        } catch {
            guard onlyNews || RespaldoError.kind(of: error) == .failed else { throw error }
            round.error = error
            (record.success, record.result, record.error) = (false, .failure, "\(error)")
        }
        record.finishedAt = env.clock.now()
        // A round that found nothing to send is news only after a failure (a recovery); the
        // run state is read only for that question.
        let news = !onlyNews || !round.uploaded.isEmpty || round.error != nil
            || RunState.loadReporting(stateDir: env.state.root, job: job.name).state.uploads[remote]?.last?.success == false
        if news {
            round.unrecorded = RunReporter(env: env, alerter: alerter).report(job: job.name, [.upload(record, remote: remote)])
        }
        return round
    }
}

extension PruneJob {
    /// `runEverywhere`, then its record (metrics, alerts of kind prune) unless it is a dry run
    /// or never started (a usage error).
    public func runEverywhereRecorded(job: JobConfig, dryRun: Bool, onlyRemote: String?, alerter: Alerter?) throws -> [Report] {
        let started = env.clock.now()
        let reporter = RunReporter(env: env, alerter: alerter)
        do {
            let reports = try runEverywhere(job: job, dryRun: dryRun, onlyRemote: onlyRemote)
            if !dryRun {
                reporter.report(job: job.name, [.prune(RunRecord(startedAt: started, finishedAt: env.clock.now(), success: true, result: .success), location: onlyRemote)])
            }
            return reports
        } catch {
            if !dryRun && RespaldoError.kind(of: error) == .failed {
                reporter.report(job: job.name, [.prune(RunRecord(startedAt: started, finishedAt: env.clock.now(), success: false, error: "\(error)", result: .failure), location: onlyRemote)])
            }
            throw error
        }
    }
}
