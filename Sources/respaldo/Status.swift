import ArgumentParser
import Foundation
import RespaldoCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is everything healthy? A verdict, the daemon, and per job its runs, snapshots per location, uploads and drills.",
        discussion: """
            Answers from the state folder and the local folder only (remote contents are those \
            recorded at the last upload or prune), so it answers at once even when a remote is \
            down. The first line is the verdict: "respaldo OK: …" or "respaldo CRITICAL: …" \
            with every problem. With --check only that line is printed and the exit status is \
            0 when all is healthy, 1 otherwise (for Nagios-style checks): every job's last \
            backup, upload and drill succeeded, no location's newest snapshot is older than \
            twice its schedule's longest gap plus 1 h, and the daemon runs when a job has a \
            schedule. --json prints the same as one object (format respaldo-status/1).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON (format respaldo-status/1).")
    var json = false

    @Flag(help: "Print only the verdict line; exit 0 when all is healthy, 1 otherwise.")
    var check = false

    func run() throws {
        let env = try global.loadEnvironment()
        let report = StatusReport.gather(env, now: env.clock.now())
        if json {
            try printJSON(report)
        } else if check {
            emit(report.verdict)
        } else {
            FileHandle.standardOutput.write(Data(report.text.utf8))
        }
        if check {
            // The verdict line is the whole answer: no second copy of it on stderr.
            Foundation.exit(report.healthy ? 0 : 1)
        }
        let unreadable = report.jobs.filter { $0.facts.stateProblem != nil }.map(\.facts.job.name)
        if !unreadable.isEmpty {
            throw RespaldoError.failed("the run state of \(unreadable.joined(separator: ", ")) cannot be read; the other jobs are shown")
        }
    }
}
