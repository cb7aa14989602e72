import ArgumentParser
import RespaldoCore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run jobs now (all if none is named); prints each new snapshot id.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Jobs to run.")
    var jobs: [String] = []

    @Flag(help: "Keep the snapshot local only.")
    var noUpload = false

    func run() throws {
        let config = try global.loadConfig()
        let names = jobs.isEmpty ? config.jobs.map(\.name) : jobs
        guard !names.isEmpty else { throw RespaldoError.usage("\(config.path) defines no jobs") }
        // Every name is checked before anything runs: a typo must not leave half the jobs done.
        var backups: [BackupJob] = []
        for name in names {
            var job = try BackupJob(config: config, jobName: name, logger: logger)
            job.showProgress = ProgressMeter.isWanted
            backups.append(job)
        }
        let alerter = config.notify.map { Alerter(config: $0, logger: logger) }
        // The alerts of this run leave before the process exits (bounded: never blocks a backup for long).
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        var failures: [RespaldoError] = []
        for backup in backups {
            do {
                let (manifest, uploadFailures) = try backup.runRecorded(upload: !noUpload, alerter: alerter)
                emit(manifest.id)
                failures += uploadFailures
            } catch let error as RespaldoError {
                if backups.count > 1 { logger.error("\(error)") }
                failures.append(error)
            }
        }
        if failures.count == 1, let only = failures.first { throw only }
        // Each failure was logged as it happened; a real failure outranks a held lock.
        if failures.contains(where: { $0.exitStatus != 75 }) {
            throw RespaldoError.failed("\(failures.count) failure\(failures.count == 1 ? "" : "s") across \(backups.count) jobs")
        }
        if let locked = failures.first { throw locked }
    }
}
