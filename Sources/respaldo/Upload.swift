import Foundation
import ArgumentParser
import RespaldoCore

struct Upload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload every complete local snapshot that a remote lacks (pending uploads).",
        discussion: """
            An upload interrupted earlier is resumed from the remote .partial file, then its \
            size is checked before it is renamed; the manifest goes last. Without --remote, \
            each of the job's remotes is brought up to date.

            Examples:
              respaldo upload
              respaldo upload crm --remote geo
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this job (default: every job that has remotes).", completion: .custom(Completions.jobs))
    var job: String?

    @Option(help: ArgumentHelp("Only this remote.", valueName: "NAME"), completion: .custom(Completions.remotes))
    var remote: String?

    func run() throws {
        let env = try global.loadEnvironment()
        let config = env.config
        let jobs = try config.jobs(named: job)
        if let remote, config.remote(named: remote) == nil {
            throw RespaldoError.usage("no remote named \"\(remote)\" in \(config.path)")
        }
        let alerter = config.notify.map { Alerter(config: $0, logger: logger) }
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        var failures: [String] = []
        var unrecorded: [RespaldoError] = []
        var pairs = 0
        for job in jobs {
            let lock = try env.state.lock(job: job.name)
            defer { withExtendedLifetime(lock) {} }
            for name in job.remotes where remote == nil || remote == name {
                pairs += 1
                var uploader = UploadJob(env: env)
                uploader.showProgress = ProgressMeter.isWanted
                let round = try uploader.uploadMissingRecorded(job: job, remote: name, alerter: alerter)
                if let error = round.error {
                    logger.error("\(job.name) → \(name): \(error)")
                    failures.append("\(job.name) → \(name)")
                } else {
                    emit("\(job.name) → \(name): \(round.uploaded.isEmpty ? "up to date" : "uploaded \(round.uploaded.joined(separator: ", "))")")
                }
                if let failure = round.unrecorded { unrecorded.append(failure) }
            }
        }
        if pairs == 0 {
            throw RespaldoError.usage(remote.map { "no job\(job.map { " \"\($0)\"" } ?? "") uploads to remote \"\($0)\"" } ?? "no job\(job.map { " \"\($0)\"" } ?? "") has remotes")
        }
        if !failures.isEmpty {
            throw RespaldoError.failed("uploads failed for \(failures.joined(separator: ", ")); the snapshots stay pending")
        }
        if let first = unrecorded.first { throw first }
    }
}
