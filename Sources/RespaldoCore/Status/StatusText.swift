import Foundation

extension StatusReport {
    /// `respaldo status` for people: the verdict line, the daemon, then one block per job with
    /// one line per fact (a remote's upload state never shares the run's line). Every time is
    /// RFC 3339 UTC, as `list` prints them; ages are added in words.
    public var text: String {
        var lines = [verdict, daemonLine]
        for job in jobs {
            lines.append("")
            lines += Self.block(job, now: generatedAt)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var daemonLine: String {
        let record = daemon.record
        switch daemon.liveness {
        case .running:
            let beat = record.map { ", heartbeat \(Freshness.describe(generatedAt.timeIntervalSince($0.heartbeatAt))) ago" } ?? ""
            return "daemon: running, pid \(record.map { String($0.pid) } ?? "?"), since \(record.map { rfc3339($0.startedAt) } ?? "?")\(beat)"
        case .notResponding:
            return "daemon: NOT RESPONDING, pid \(record.map { String($0.pid) } ?? "?"), last heartbeat \(record.map { rfc3339($0.heartbeatAt) } ?? "?")"
        case .stopped:
            let how = record?.stoppedAt.map { "stopped at \(rfc3339($0))" } ?? "pid \(record.map { String($0.pid) } ?? "?") is gone, last heartbeat \(record.map { rfc3339($0.heartbeatAt) } ?? "?")"
            return "daemon: \(daemon.expected ? "NOT RUNNING" : "not running") (\(how))"
        case .neverStarted:
            let why = daemon.recordProblem.map { ": \($0)" } ?? ""
            return daemon.expected ? "daemon: NOT RUNNING (never started with this state_dir\(why))" : "daemon: not running (no job has a schedule)\(why)"
        }
    }

    private static func block(_ job: Job, now: Date) -> [String] {
        let facts = job.facts
        let state = facts.state
        var lines = ["\(facts.job.name):"]
        func line(_ label: String, _ value: String) { lines.append("  " + (label + ":").padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
        if let problem = facts.stateProblem {
            line("run state", "unreadable: \(problem); its runs are not shown (the other jobs are)")
        }
        let limit = facts.staleAfter.map { ", stale after \(Freshness.describe($0))" } ?? ""
        line("schedule", facts.job.schedule.map { "\($0.text)\(limit)" } ?? "none (runs only when started by hand)")
        if let running = job.running {
            line("running", "since \(rfc3339(running.startedAt)) (\(Freshness.describe(now.timeIntervalSince(running.startedAt)))), pid \(running.pid)")
        }
        if facts.stateReadable {
            line("last run", state.lastRun.map(describeRun) ?? "never")
            line("last success", state.lastSuccess.map { "\(rfc3339($0.finishedAt)) \($0.snapshot ?? "")" } ?? "never")
        }
        line("next run", facts.nextRun.map(rfc3339) ?? "not scheduled")
        for location in facts.locations {
            line(location.name, describe(location, facts: facts, now: now))
        }
        if facts.job.drill != nil || state.lastDrill != nil {
            var drill = state.lastDrill.map { "\(rfc3339($0.finishedAt)) \($0.success ? "passed" : "FAILED: \(HealthCheck.quote($0.error))")" } ?? "never"
            if let next = facts.nextDrill { drill += "; next \(rfc3339(next))" }
            line("last drill", drill)
        }
        line("problems", job.problems.isEmpty ? "none" : job.problems.joined(separator: "; "))
        return lines
    }

    private static func describeRun(_ run: RunRecord) -> String {
        let time = rfc3339(run.finishedAt)
        switch run.outcome {
        case .success:
            let took = run.durationSeconds < 60 ? String(format: "%.1fs", max(run.durationSeconds, 0)) : Freshness.describe(run.durationSeconds)
            return "\(time) ok (\(run.snapshot ?? "no snapshot"), took \(took))"
        case .uploadFailure:
            return "\(time) upload failed (\(run.snapshot ?? "the snapshot") is complete locally; see the remotes below)"
        case .failure:
            return "\(time) FAILED: \(HealthCheck.quote(run.error))"
        }
    }

    private static func describe(_ location: JobFacts.Location, facts: JobFacts, now: Date) -> String {
        var parts: [String] = []
        switch (location.snapshots, location.newest) {
        case let (count?, newest?) where count > 0:
            let age = location.newestAt.map { " (\(Freshness.describe(now.timeIntervalSince($0))) old)" } ?? ""
            parts.append("\(count) snapshot\(count == 1 ? "" : "s"), newest \(newest)\(age)")
        case let (nil, newest?):
            let age = location.newestAt.map { " (\(Freshness.describe(now.timeIntervalSince($0))) old)" } ?? ""
            parts.append("newest \(newest)\(age), count not listed yet")
        case (nil, nil) where location.name != "local":
            parts.append("no snapshot recorded")
        default:
            parts.append("no snapshot")
        }
        if location.name != "local" {
            if let upload = facts.state.uploads[location.name]?.last {
                parts.append(upload.success
                    ? "last upload ok at \(rfc3339(upload.finishedAt))"
                    : "last upload FAILED at \(rfc3339(upload.finishedAt)): \(HealthCheck.quote(upload.error))")
            } else {
                parts.append("no upload recorded")
            }
            let pending = facts.pending[location.name] ?? []
            if !pending.isEmpty { parts.append("pending \(pending.joined(separator: ", "))") }
        }
        if let verify = facts.state.verifies[location.name] {
            parts.append("last verify \(verify.success ? "ok" : "FAILED") at \(rfc3339(verify.finishedAt))")
        }
        return parts.joined(separator: "; ")
    }
}
