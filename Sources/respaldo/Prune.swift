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

    @Option(help: ArgumentHelp("Prune this remote only (an admin host pruning an add-only remote with its own key; with [trust], only signed snapshots count).", valueName: "NAME"))
    var remote: String?

    func run() throws {
        let config = try global.loadConfig()
        let jobs = try config.jobs(named: job)
        for job in jobs {
            let lock = try JobLock.acquire(stateDir: config.stateDir, job: job.name)
            defer { withExtendedLifetime(lock) {} }
            for report in try PruneJob(config: config, logger: logger).runEverywhere(job: job, dryRun: dryRun, onlyRemote: remote) {
                if let skipped = report.skipped {
                    emit("\(report.location)  skipped  (\(skipped))")
                    continue
                }
                let locked = Dictionary(report.locked.map { ($0.id, $0.until) }, uniquingKeysWith: { first, _ in first })
                for decision in report.decisions.reversed() {
                    if let until = locked[decision.id] {
                        emit("\(report.location)  locked  \(decision.id)  (retention removes it, its Object Lock holds it until \(until))")
                        continue
                    }
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
