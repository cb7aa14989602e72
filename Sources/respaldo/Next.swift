import ArgumentParser
import Foundation
import RespaldoCore

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the coming fire times of each job's schedule, in its time zone.",
        discussion: """
            One RFC 3339 time per line with the zone's UTC offset. With several jobs each line \
            starts with the job's name.

            Examples:
              respaldo next
              respaldo next crm --count 3 --from 2026-03-08T00:00:00Z
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this job.", completion: .custom(Completions.jobs))
    var job: String?

    @Option(help: "How many fire times per job (1-10000).")
    var count = 5

    @Option(help: ArgumentHelp("Start strictly after this time, e.g. 2026-11-21T00:00:00Z (default: now).", valueName: "RFC3339"))
    var from: String?

    func validate() throws {
        guard (1...10_000).contains(count) else {
            throw ValidationError("--count must be between 1 and 10000, found \(count)")
        }
    }

    func run() throws {
        var start = Date()
        if let from {
            do {
                start = try RFC3339.parse(from)
            } catch {
                throw RespaldoError.usage("--from: \(error)")
            }
        }
        let config = try global.loadConfig()
        if let job {
            let named = try config.requiredJob(named: job)
            guard let schedule = named.schedule else {
                emit("job \(named.name) has no schedule: it runs only when started by hand")
                return
            }
            let zone = named.timeZone
            for time in schedule.fireTimes(after: start, in: zone, count: count) {
                emit(RFC3339.format(time, in: zone))
            }
            return
        }
        let scheduled = config.jobs.compactMap { job in job.schedule.map { (job, $0) } }
        guard !scheduled.isEmpty else {
            emit("no job in \(config.path) has a schedule")
            return
        }
        let width = scheduled.map(\.0.name.count).max() ?? 0
        for (job, schedule) in scheduled {
            let zone = job.timeZone
            let prefix = scheduled.count > 1 ? job.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " : ""
            for time in schedule.fireTimes(after: start, in: zone, count: count) {
                emit(prefix + RFC3339.format(time, in: zone))
            }
        }
    }
}
