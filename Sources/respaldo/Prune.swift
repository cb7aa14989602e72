import ArgumentParser
import RespaldoCore

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the retention policy: prints what is kept and why, and what goes.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this job.")
    var job: String?

    @Flag(help: "Show the decisions without deleting anything.")
    var dryRun = false

    func run() throws {
        let config = try global.loadConfig()
        let jobs = try config.jobs(named: job)
        for job in jobs {
            let lock = try JobLock.acquire(stateDir: config.stateDir, job: job.name)
            defer { withExtendedLifetime(lock) {} }
            for report in try PruneJob(config: config, logger: logger).runEverywhere(job: job, dryRun: dryRun) {
                for decision in report.decisions.reversed() {
                    let verb = decision.keep ? "keep  " : (dryRun ? "would remove" : "remove")
                    emit("\(report.location)  \(verb)  \(decision.id)\(decision.reasons.isEmpty ? "" : "  (\(decision.reasons.joined(separator: ", ")))")")
                }
                for name in report.stalePartials {
                    emit("\(report.location)  \(dryRun ? "would remove" : "remove")  \(name)  (stale temporary file)")
                }
            }
        }
    }
}
