import ArgumentParser
import Foundation
import RespaldoCore

struct Drill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a snapshot into a scratch target, run checks, and time the recovery.",
        discussion: """
            Takes the newest complete snapshot of the job (or --snapshot ID) from the local \
            folder or --remote NAME, checks the artifact's size and SHA-256 before anything is \
            created, then decrypts, gunzips and checks the dump while loading it into a scratch \
            target: a database respaldo_drill_<job>_<UTC time> (postgres, mysql; on the \
            [jobs.drill] host when given) or a scratch folder (files, command). \
            [jobs.drill] restore_command, an argv that reads the dump on stdin, replaces the \
            loader (psql, mysql, tar) and is required for command jobs; it finds its target in \
            RESPALDO_DRILL_DATABASE (and libpq's PG* variables, or RESPALDO_DRILL_DEFAULTS_FILE \
            for mysql) or RESPALDO_DRILL_DIR. Then the row counts recorded at dump time and the [jobs.drill] \
            checks are compared (SQL that must return true; for folders, paths that must exist). \
            The scratch target is always removed, also on failure, SIGINT or SIGTERM. \
            Without JOB, every job with a [jobs.drill] table is drilled (every job when none \
            has one). Exit 0 when every drill passed, 1 otherwise.

            Examples:
              respaldo drill crm --identity /secure/key.txt
              respaldo drill crm --remote geo --identity /secure/key.txt \\
                --report /tmp/drill.json
              respaldo drill --snapshot crm-20261121T070000Z --identity /secure/key.txt
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The job to drill.", completion: .custom(Completions.jobs))
    var job: String?

    @Option(help: ArgumentHelp("Take the snapshot from this remote (the geo copy) instead of the local folder.", valueName: "NAME"),
            completion: .custom(Completions.remotes))
    var remote: String?

    @Option(help: ArgumentHelp("Drill this snapshot instead of the newest.", valueName: "ID"), completion: .custom(Completions.snapshots))
    var snapshot: String?

    @Option(help: ArgumentHelp("age identity file to decrypt with (default: [jobs.drill] identity_file).", valueName: "FILE"), completion: .file())
    var identity: String?

    @Option(help: ArgumentHelp("Also write the report as JSON here (one object; an array for several jobs).", valueName: "FILE"), completion: .file())
    var report: String?

    func run() throws {
        let env = try global.loadEnvironment()
        let config = env.config
        var drills: [DrillJob] = []
        for name in try jobNames(config) {
            var drill = try DrillJob(env: env, jobName: name)
            drill.showProgress = ProgressMeter.isWanted
            drills.append(drill)
        }
        let alerter = config.notify.map { Alerter(config: $0, logger: logger) }
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        var reports: [DrillReport] = []
        var unstarted: [String] = []
        for drill in drills {
            do {
                let result = try drill.runRecorded(remote: remote, snapshotID: snapshot, identityFile: identity, alerter: alerter)
                emit(result.summary)
                reports.append(result)
            } catch let error as RespaldoError where drills.count > 1 {
                logger.error("drill \(drill.job.name): \(error)")
                unstarted.append(drill.job.name)
            }
        }
        if let report, !reports.isEmpty { try DrillReport.write(reports, to: report) }
        let failed = reports.filter { !$0.ok }.map(\.snapshot) + unstarted
        if !failed.isEmpty {
            throw RespaldoError.failed("drill failed: \(failed.joined(separator: ", "))")
        }
    }

    private func jobNames(_ config: Config) throws -> [String] {
        if let snapshot {
            guard let id = SnapshotID(snapshot) else {
                throw RespaldoError.usage("\"\(snapshot)\" is not a snapshot id (expected <job>-YYYYMMDDTHHMMSSZ)")
            }
            if let job, job != id.job { throw RespaldoError.usage("snapshot \(snapshot) belongs to job \(id.job), not \(job)") }
            return [id.job]
        }
        if let job { return [job] }
        let withDrill = config.jobs.filter { $0.drill != nil }.map(\.name)
        let names = withDrill.isEmpty ? config.jobs.map(\.name) : withDrill
        guard !names.isEmpty else { throw RespaldoError.usage("\(config.path) defines no jobs") }
        return names
    }
}
