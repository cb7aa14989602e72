import ArgumentParser
import RespaldoCore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run jobs now (all if none is named); prints each new snapshot id.",
        discussion: """
            Each job: dump, compress, encrypt, write the local snapshot, upload it to the job's \
            remotes, then apply retention once every remote has it. Run it as the service user \
            (sudo -u respaldo respaldo backup ...) so the files in state_dir stay its own.

            Examples:
              respaldo backup                      # every job
              respaldo backup crm                  # prints crm-20261121T070000Z
              respaldo backup crm --no-upload      # remotes later: respaldo upload
              respaldo backup crm --accept-shrink  # a smaller dump, on purpose
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Jobs to run.", completion: .custom(Completions.jobs))
    var jobs: [String] = []

    @Flag(help: "Don't upload now: the snapshot is marked pending for the job's remotes, and `respaldo upload` (or the daemon) sends it later. Retention waits until every remote has it.")
    var noUpload = false

    @Flag(help: "Accept a dump smaller than max_shrink allows, for this run (data was deleted on purpose); min_bytes still holds.")
    var acceptShrink = false

    func run() throws {
        let env = try global.loadEnvironment()
        let config = env.config
        let names = jobs.isEmpty ? config.jobs.map(\.name) : jobs
        guard !names.isEmpty else { throw RespaldoError.usage("\(config.path) defines no jobs") }
        // Every name is checked before anything runs: a typo must not leave half the jobs done.
        var backups: [BackupJob] = []
        for name in names {
            var job = try BackupJob(env: env, jobName: name)
            job.showProgress = ProgressMeter.isWanted
            job.acceptShrink = acceptShrink
            backups.append(job)
        }
        let alerter = config.notify.map { Alerter(config: $0, logger: logger) }
        // The alerts of this run leave before the process exits (bounded: never blocks a backup for long).
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        var failures: [Failure] = []
        for backup in backups {
            var found: [RespaldoError] = []
            do {
                let (manifest, uploadFailures) = try backup.runRecorded(upload: !noUpload, alerter: alerter)
                emit(manifest.id)
                found = uploadFailures
            } catch let error as RespaldoError {
                found = [error]
            }
            // With several jobs the command's own error can only count the failures: each is
            // logged as it happens, the operator need not wait for the last job to read it.
            let logNow = backups.count > 1
            if logNow { found.forEach { logger.error("\($0)") } }
            failures += found.map { Failure(job: backup.job.name, error: $0, logged: logNow) }
        }
        try Self.conclude(failures, jobs: backups.count)
    }

    struct Failure {
        var job: String
        var error: RespaldoError
        var logged: Bool
    }

    /// Each failure is printed once: a lone one is the command's error; several are logged
    /// one by one and the command's error only counts them.
    static func conclude(_ failures: [Failure], jobs: Int) throws {
        if failures.count == 1, let only = failures.first, !only.logged { throw only.error }
        guard !failures.isEmpty else { return }
        failures.filter { !$0.logged }.forEach { logger.error("\($0.error)") }
        let names = Array(Set(failures.map(\.job))).sorted()
        // A real failure outranks a held lock.
        if failures.contains(where: { !$0.error.isLockHeld }) {
            throw RespaldoError.failed("\(failures.count) failure\(failures.count == 1 ? "" : "s") (logged above) in \(names.count) of \(jobs) job\(jobs == 1 ? "" : "s"): \(names.joined(separator: ", "))")
        }
        // Every job was locked: exit 75, as for one.
        throw failures[0].error
    }
}
