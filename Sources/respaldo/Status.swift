import ArgumentParser
import Foundation
import RespaldoCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per job: the last run and its result, the next scheduled run, snapshots per location, pending uploads.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let config = try global.loadConfig()
        let report = try JobStatus.all(config: config, now: Date())
        if json {
            try printJSON(report)
            return
        }
        for job in report {
            emit("\(job.job):")
            if let problem = job.problem {
                emit("  run state:    UNREADABLE (\(problem)); shown empty, rebuilt by the next run")
            }
            if let last = job.lastRun {
                emit("  last run:     \(last.finishedAt) \(last.success ? "ok" : "FAILED")\(last.snapshot.map { " (\($0))" } ?? "")\(last.error.map { ": \($0)" } ?? "")")
            } else {
                emit("  last run:     never")
            }
            emit("  last success: \(job.lastSuccess ?? "never")")
            emit("  next run:     \(job.nextRun ?? "not scheduled")")
            if let drill = job.lastDrill {
                emit("  last drill:   \(drill.finishedAt) \(drill.success ? "ok" : "FAILED")\(drill.error.map { ": \($0)" } ?? "")")
            }
            emit("  snapshots:    \(job.snapshots.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
            let pending = job.pendingUploads.filter { !$0.value.isEmpty }
            emit("  pending:      \(pending.isEmpty ? "none" : pending.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }.joined(separator: "; "))")
        }
        let unreadable = report.filter { $0.problem != nil }.map(\.job)
        if !unreadable.isEmpty {
            throw RespaldoError.failed("the run state of \(unreadable.joined(separator: ", ")) cannot be read; the other jobs are shown")
        }
    }
}
