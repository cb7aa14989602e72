import Foundation
import ArgumentParser
import RespaldoCore

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check stored snapshots against their manifests.",
        discussion: """
            Without an identity, an encrypted snapshot's artifact is checked (size and SHA-256); \
            with --identity it is also decrypted and gunzipped and the dump's SHA-256 and length \
            are checked. Unencrypted snapshots are always checked down to the dump. \
            With no id and no --latest, every snapshot is verified.

            Examples:
              respaldo verify --latest
              respaldo verify crm-20261121T070000Z --identity /secure/key.txt
              respaldo verify --all --remote geo
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Snapshot ids.", completion: .custom(Completions.snapshots))
    var ids: [String] = []

    @Flag(help: "The newest snapshot of each job.")
    var latest = false

    @Flag(help: "Every snapshot (the default when no id is given).")
    var all = false

    @Option(help: ArgumentHelp("Verify the copies on this remote (streamed; no local copy needed).", valueName: "NAME"),
            completion: .custom(Completions.remotes))
    var remote: String?

    @Option(help: ArgumentHelp("age identity file (AGE-SECRET-KEY-1...) to decrypt with.", valueName: "FILE"), completion: .file())
    var identity: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if !ids.isEmpty && (latest || all) { throw ValidationError("give snapshot ids, --latest or --all, not several") }
        if latest && all { throw ValidationError("--latest and --all exclude each other") }
    }

    func run() throws {
        let env = try global.loadEnvironment()
        let config = env.config
        let repository = try Repository.open(env, remote: remote)
        let identities = try Keys.identities(identityFile: identity, config: config)
        var verifier = VerifyJob(env: env)
        verifier.identityFile = identity
        verifier.showProgress = ProgressMeter.isWanted && !json
        let started = env.clock.now()

        var reports: [VerifyReport] = []
        let snapshots: [Snapshot]
        if !ids.isEmpty {
            var found: [Snapshot] = []
            for id in ids {
                do { found.append(try repository.snapshot(id: id)) } catch let error as RespaldoError {
                    reports.append(VerifyReport(id: id, location: repository.store.location, ok: false, deep: false, problems: [error.description]))
                }
            }
            snapshots = found
        } else {
            // Every problem of the listing (a bad signature, tampering, a damaged manifest) is a
            // failed entry of its own; the snapshots that pass are still verified.
            let (accepted, problems) = try repository.audit()
            for problem in problems {
                reports.append(VerifyReport(id: problem.snapshot ?? problem.job, location: problem.location, ok: false, deep: false, problems: [problem.description]))
            }
            snapshots = latest
                ? Dictionary(grouping: accepted, by: \.manifest.job).values.compactMap { $0.last }.sorted { $0.id < $1.id }
                : accepted
            if snapshots.isEmpty && problems.isEmpty {
                throw RespaldoError.failed("no snapshots to verify in \(remote.map { "remote \($0)" } ?? config.localDir)")
            }
        }
        for snapshot in snapshots {
            let report = verifier.verify(snapshot, in: repository.store, identities: identities)
            reports.append(report)
        }
        let unrecorded = record(reports, env: env, location: repository.store.location, started: started)
        if json {
            try printJSON(reports)
        } else {
            for report in reports {
                let depth = report.deep ? "dump checked" : "artifact checked"
                emit(report.ok ? "\(report.id): ok (\(depth))" : "\(report.id): FAILED: \(report.problems.joined(separator: "; "))")
            }
        }
        let failed = reports.filter { !$0.ok }
        if !failed.isEmpty {
            throw RespaldoError.failed("verify found problems in \(failed.count) of \(reports.count) snapshots: \(failed.map(\.id).joined(separator: ", "))")
        }
        if let first = unrecorded.first { throw first }
    }

    /// One verify record per job at this location (status, metrics, alerts of kind verify);
    /// returns the records that could not be written.
    private func record(_ reports: [VerifyReport], env: Environment, location: String, started: Date) -> [RespaldoError] {
        let config = env.config
        let alerter = config.notify.map { Alerter(config: $0, logger: logger) }
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        let reporter = RunReporter(env: env, alerter: alerter)
        let byJob = Dictionary(grouping: reports) { SnapshotID($0.id)?.job ?? $0.id }
        var unrecorded: [RespaldoError] = []
        for (job, reports) in byJob.sorted(by: { $0.key < $1.key }) where config.job(named: job) != nil {
            let failed = reports.filter { !$0.ok }
            let record = RunRecord(
                startedAt: started, finishedAt: env.clock.now(), success: failed.isEmpty, snapshot: reports.last?.id,
                error: failed.isEmpty ? nil : failed.map { "\($0.id): \($0.problems.joined(separator: "; "))" }.joined(separator: "\n"),
                result: failed.isEmpty ? .success : .failure)
            if let failure = reporter.report(job: job, [.verify(record, location: location)]) { unrecorded.append(failure) }
        }
        return unrecorded
    }
}
