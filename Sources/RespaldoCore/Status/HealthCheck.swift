import Foundation

/// The rules of `status --check` (README, "Monitoring"): what makes a job or the host
/// unhealthy. Each problem is one short sentence that names what to look at.
///
/// A job's backups are judged when it has a schedule or has run on this host (a DR host that
/// only drills a job does not back it up). Then: its last backup run must not have failed; for
/// each remote, the last upload must not have failed and, once the job has a good snapshot,
/// the remote must hold one; with a schedule, no location's newest snapshot may be older than
/// `Freshness.limit`. A job with `[jobs.drill]` must not have failed its last drill and, with a
/// drill schedule, must have passed one within its limit. The last verify at each location
/// must not have failed. When any job has a schedule, the daemon must be running.
public enum HealthCheck {
    /// The longest error text quoted in a problem.
    static let errorLength = 200

    public static func problems(of facts: JobFacts, now: Date) -> [String] {
        if let problem = facts.stateProblem {
            return ["run state unreadable: \(problem)"]
        }
        let state = facts.state
        var problems: [String] = []
        let judged = facts.staleAfter != nil || state.lastRun != nil
        if judged {
            if let run = state.lastRun {
                if run.outcome == .failure { problems.append("last backup failed at \(rfc3339(run.finishedAt)): \(quote(run.error))") }
            } else {
                problems.append("no backup has run yet")
            }
            for location in facts.locations {
                problems += locationProblems(location, facts: facts, now: now)
            }
        }
        for (location, verify) in state.verifies.sorted(by: { $0.key < $1.key }) where !verify.success {
            problems.append("last verify in \(location) failed at \(rfc3339(verify.finishedAt)): \(quote(verify.error))")
        }
        if facts.job.drill != nil {
            if let drill = state.lastDrill, !drill.success {
                problems.append("last drill failed at \(rfc3339(drill.finishedAt)): \(quote(drill.error))")
            }
            if let limit = facts.drillOverdueAfter {
                if let passed = state.lastDrillSuccess {
                    let age = now.timeIntervalSince(passed.finishedAt)
                    if age > limit {
                        problems.append("drill overdue: the last one passed \(Freshness.describe(age)) ago (limit \(Freshness.describe(limit)))")
                    }
                } else {
                    problems.append("drill overdue: none has passed yet")
                }
            }
        }
        return problems
    }

    private static func locationProblems(_ location: JobFacts.Location, facts: JobFacts, now: Date) -> [String] {
        let state = facts.state
        if location.name != "local" {
            if let upload = state.uploads[location.name]?.last, !upload.success {
                return ["last upload to \(location.name) failed at \(rfc3339(upload.finishedAt)): \(quote(upload.error))"]
            }
        }
        guard let newestAt = location.newestAt else {
            // Nothing there although a good snapshot exists: never uploaded, or all lost.
            guard state.lastSuccess != nil else { return [] }
            return [location.name == "local" ? "no snapshot in local (\(facts.job.name)'s folder is empty)" : "no snapshot on \(location.name) yet"]
        }
        guard let limit = facts.staleAfter else { return [] }
        let age = now.timeIntervalSince(newestAt)
        guard age > limit else { return [] }
        return ["newest snapshot in \(location.name) is \(Freshness.describe(age)) old (stale after \(Freshness.describe(limit)) for schedule \"\(facts.job.schedule?.text ?? "")\")"]
    }

    /// Why the daemon is not as it should be, when some job is scheduled; nil otherwise.
    public static func daemonProblem(_ liveness: DaemonLiveness, record: DaemonRecord?, expected: Bool) -> String? {
        guard expected else { return nil }
        switch liveness {
        case .running: return nil
        case .neverStarted: return "daemon not running: it has never run with this state_dir (systemctl status respaldo)"
        case .stopped:
            let last = record.map { " (pid \($0.pid), last heartbeat \(rfc3339($0.heartbeatAt)))" } ?? ""
            return "daemon not running\(last) (systemctl status respaldo)"
        case .notResponding:
            return "daemon pid \(record.map { String($0.pid) } ?? "?") not responding: last heartbeat \(record.map { rfc3339($0.heartbeatAt) } ?? "?")"
        }
    }

    /// The one line: `respaldo OK: 2 jobs healthy` or `respaldo CRITICAL: crm: …; web: …`.
    public static func verdict(problems: [String], jobs: Int, daemon: String?) -> String {
        guard problems.isEmpty else {
            let line = "respaldo CRITICAL: " + problems.joined(separator: "; ")
            return line.count > 1000 ? String(line.prefix(997)) + "…" : line
        }
        return "respaldo OK: \(jobs) job\(jobs == 1 ? "" : "s") healthy" + (daemon.map { ", \($0)" } ?? "")
    }

    /// The first line of an error, cut to `errorLength`.
    static func quote(_ error: String?) -> String {
        let line = AlertEvent.firstLine(error ?? "unknown error")
        return line.count > errorLength ? String(line.prefix(errorLength - 1)) + "…" : line
    }
}
