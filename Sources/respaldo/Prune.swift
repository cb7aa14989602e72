import Foundation
import ArgumentParser
import RespaldoCore

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the retention policy: prints what is kept and why, and what goes.",
        discussion: """
            Runs for the local folder and for each of the job's remotes, each on its own \
            ([retention]: keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly). The \
            newest snapshot is always kept.

            Examples:
              respaldo prune --dry-run
              respaldo prune crm
            """)

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
        let alerter = dryRun ? nil : config.notify.map { Alerter(config: $0, logger: logger) }
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        let reporter = RunReporter(config: config, logger: logger, alerter: alerter)
        for job in jobs {
            let lock = try JobLock.acquire(stateDir: config.stateDir, job: job.name)
            defer { withExtendedLifetime(lock) {} }
            let started = Date()
            let reports: [PruneJob.Report]
            do {
                reports = try PruneJob(config: config, logger: logger).runEverywhere(job: job, dryRun: dryRun, onlyRemote: remote)
            } catch {
                // A dry run changed nothing; a usage error did not prune at all.
                if !dryRun && exitStatus(for: error) == 1 {
                    reporter.report(job: job.name, [.prune(RunRecord(startedAt: started, finishedAt: Date(), success: false, error: "\(error)", result: .failure), location: remote)])
                }
                throw error
            }
            if !dryRun {
                reporter.report(job: job.name, [.prune(RunRecord(startedAt: started, finishedAt: Date(), success: true, result: .success), location: remote)])
            }
            for report in reports {
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
