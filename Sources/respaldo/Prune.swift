import ArgumentParser
import Foundation
import RespaldoCore

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the retention policy: prints what is kept and why, what goes and why, and the space freed.",
        discussion: """
            Runs for the local folder and for each of the job's remotes, each on its own \
            ([retention]: keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly). The \
            newest snapshot is always kept. Before a local snapshot that a remote never received \
            (its upload is pending) is removed, a warning says so: it is the only copy.

            Examples:
              respaldo prune --dry-run
              respaldo prune crm
              respaldo prune crm --remote geo     # an admin host pruning an add-only remote
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this job.", completion: .custom(Completions.jobs))
    var job: String?

    @Flag(help: "Show the decisions without deleting anything.")
    var dryRun = false

    @Option(help: ArgumentHelp("Prune this remote only (an admin host pruning an add-only remote with its own key; with [trust], only signed snapshots count).", valueName: "NAME"),
            completion: .custom(Completions.remotes))
    var remote: String?

    func run() throws {
        let env = try global.loadEnvironment()
        let config = env.config
        let jobs = try config.jobs(named: job)
        let alerter = dryRun ? nil : config.notify.map { Alerter(config: $0, logger: logger) }
        defer { _ = alerter?.waitForOutstanding(timeout: 30) }
        var table = [["LOCATION", "ACTION", "SNAPSHOT", "STORED", "WHY"]]
        var totals: [String] = []
        for job in jobs {
            let lock = try env.state.lock(job: job.name)
            defer { withExtendedLifetime(lock) {} }
            var prune = PruneJob(env: env)
            prune.logsRemovals = false  // the table below says it all
            if remote == nil {
                // Said before anything goes: a snapshot no remote received is the only copy.
                warnAboutOnlyCopies(try prune.run(job: job, store: env.local, dryRun: true), job: job, pending: env.state.pending)
            }
            let reports = try prune.runEverywhereRecorded(job: job, dryRun: dryRun, onlyRemote: remote, alerter: alerter)
            for report in reports {
                table += rows(report, job: job, config: config)
                totals.append(total(report, job: job, jobs: jobs.count))
            }
        }
        printAligned(table)
        totals.forEach(emit)
    }

    private func warnAboutOnlyCopies(_ plan: PruneJob.Report, job: JobConfig, pending: PendingUploads) {
        for decision in plan.decisions where !decision.keep {
            let missing = job.remotes.filter { pending.ids(remote: $0, job: job.name).contains(decision.id) }
            guard !missing.isEmpty else { continue }
            let consequence = dryRun ? "would remove it from local: no copy of it would be left" : "now removes it from local: no copy of it will be left"
            logger.warning("\(decision.id): \(missing.joined(separator: ", ")) never received it (its upload is pending), and prune \(consequence); run `respaldo upload` first, or widen [retention]")
        }
    }

    private func rows(_ report: PruneJob.Report, job: JobConfig, config: Config) -> [[String]] {
        if let skipped = report.skipped { return [[report.location, "skipped", "", "", skipped]] }
        let zone = job.timeZone
        let times = report.decisions.compactMap { decision in SnapshotID(decision.id).map { (decision.id, $0.time) } }
        let why = Retention.removalReasons(times, policy: config.retention, timeZone: zone)
        let locked = Dictionary(report.locked.map { ($0.id, $0.until) }, uniquingKeysWith: { first, _ in first })
        let remove = dryRun ? "would remove" : "remove"
        var rows = report.decisions.reversed().map { decision -> [String] in
            let size = report.sizes[decision.id].map(formatBytes) ?? ""
            if decision.keep { return [report.location, "keep", decision.id, size, decision.reasons.joined(separator: ", ")] }
            if let until = locked[decision.id] {
                return [report.location, "locked", decision.id, size, "\(why[decision.id] ?? "retention removes it"); its Object Lock holds it until \(rfc3339(until))"]
            }
            return [report.location, remove, decision.id, size, why[decision.id] ?? ""]
        }
        rows += report.stalePartials.map { name in
            [report.location, remove, name, report.sizes[name].map(formatBytes) ?? "", "stale temporary file of an interrupted write"]
        }
        rows += report.orphans.map { name in
            [report.location, remove, name, report.sizes[name].map(formatBytes) ?? "", "orphan: no manifest, older than the newest snapshot"]
        }
        return rows
    }

    private func total(_ report: PruneJob.Report, job: JobConfig, jobs: Int) -> String {
        let scope = jobs > 1 ? "\(job.name) in \(report.location)" : report.location
        if let skipped = report.skipped { return "\(scope): skipped (\(skipped))" }
        let locked = Set(report.locked.map(\.id))
        let removed = report.decisions.filter { !$0.keep && !locked.contains($0.id) }
        let bytes = removed.compactMap { report.sizes[$0.id] }.reduce(0, +)
            + (report.stalePartials + report.orphans).compactMap { report.sizes[$0] }.reduce(0, +)
        var line = "\(scope): \(report.decisions.count - removed.count - locked.count) kept, \(removed.count) \(dryRun ? "to remove" : "removed")"
        if !locked.isEmpty { line += ", \(locked.count) locked" }
        if !report.stalePartials.isEmpty { line += ", \(report.stalePartials.count) stale temporary file\(report.stalePartials.count == 1 ? "" : "s")" }
        if !report.orphans.isEmpty { line += ", \(report.orphans.count) orphan\(report.orphans.count == 1 ? "" : "s")" }
        return line + (dryRun ? ": would free \(formatBytes(bytes))" : ": \(formatBytes(bytes)) freed")
    }
}

/// Prints rows as columns padded to their widest cell (the last column is not padded).
func printAligned(_ rows: [[String]]) {
    guard let columns = rows.map(\.count).max() else { return }
    let widths = (0..<columns).map { column in rows.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
    for row in rows {
        let cells = row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }
        emit(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}
