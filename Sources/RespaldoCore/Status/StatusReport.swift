import Foundation

/// `respaldo status`: the verdict, the daemon and every job, gathered without connecting to
/// anything. Encoded as `status --json`, format `respaldo-status/1` (README, "JSON outputs"):
/// every time is an RFC 3339 UTC string or null, every run an object or null, every optional
/// field present (null), so a monitor can rely on the shape.
public struct StatusReport: Encodable, Sendable {
    public static let formatName = "respaldo-status/1"

    /// One run as status shows it.
    public struct Run: Encodable, Sendable {
        public var record: RunRecord

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(rfc3339(record.startedAt), forKey: "started_at")
            try c.encode(rfc3339(record.finishedAt), forKey: "finished_at")
            try c.encode((max(record.durationSeconds, 0) * 1000).rounded() / 1000, forKey: "duration_seconds")
            try c.encode(record.outcome.rawValue, forKey: "result")
            try c.encode(record.success, forKey: "success")
            try c.encode(record.snapshot, forKey: "snapshot")
            try c.encode(record.error, forKey: "error")
        }
    }

    public struct Daemon: Encodable, Sendable {
        /// Some job has a schedule: the daemon should be running.
        public var expected: Bool
        public var liveness: DaemonLiveness
        public var record: DaemonRecord?
        /// Why the record could not be read.
        public var recordProblem: String?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(expected, forKey: "expected")
            try c.encode(liveness.rawValue, forKey: "state")
            try c.encode(record.map { Int($0.pid) }, forKey: "pid")
            try c.encode(record.map { rfc3339($0.startedAt) }, forKey: "started_at")
            try c.encode(record.map { rfc3339($0.heartbeatAt) }, forKey: "heartbeat_at")
            try c.encode(record?.stoppedAt.map(rfc3339), forKey: "stopped_at")
            try c.encode(record?.version, forKey: "version")
            try c.encode(recordProblem, forKey: "record_problem")
        }
    }

    public struct Job: Encodable, Sendable {
        public var facts: JobFacts
        public var problems: [String]
        public var now: Date
        /// A backup of the job in progress now (the daemon's or an operator's), from its live
        /// activity record (RunActivity.swift).
        var running: RunActivity?

        public var healthy: Bool { problems.isEmpty }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            let state = facts.state
            try c.encode(facts.job.name, forKey: "job")
            try c.encode(healthy, forKey: "healthy")
            try c.encode(problems, forKey: "problems")
            try c.encode(facts.stateProblem, forKey: "state_error")
            try c.encode(facts.job.schedule?.text, forKey: "schedule")
            try c.encode(facts.staleAfter.map { Int($0) }, forKey: "stale_after_seconds")
            try c.encode(facts.nextRun.map(rfc3339), forKey: "next_run")
            try c.encode(running.map { Running(since: rfc3339($0.startedAt), pid: Int($0.pid)) }, forKey: "running")
            try c.encode(state.lastRun.map(Run.init), forKey: "last_run")
            try c.encode(state.lastSuccess.map(Run.init), forKey: "last_success")
            try c.encode(facts.locations.map { Location(location: $0, facts: facts, now: now) }, forKey: "locations")
            try c.encode(facts.job.drill?.schedule?.text, forKey: "drill_schedule")
            try c.encode(facts.drillOverdueAfter.map { Int($0) }, forKey: "drill_overdue_after_seconds")
            try c.encode(facts.nextDrill.map(rfc3339), forKey: "next_drill")
            try c.encode(state.lastDrill.map(Run.init), forKey: "last_drill")
            try c.encode(state.lastDrillSuccess.map(Run.init), forKey: "last_drill_success")
        }
    }

    /// A run in progress: since when, and which process runs it.
    struct Running: Encodable {
        var since: String
        var pid: Int
    }

    /// One location of a job: the same keys for local and remotes (upload fields are empty
    /// or null for local).
    struct Location: Encodable {
        var location: JobFacts.Location
        var facts: JobFacts
        var now: Date

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            let name = location.name
            let upload = facts.state.uploads[name]
            try c.encode(name, forKey: "location")
            try c.encode(location.snapshots, forKey: "snapshots")
            try c.encode(location.newest, forKey: "newest")
            try c.encode(location.newestAt.map(rfc3339), forKey: "newest_at")
            try c.encode(location.newestAt.map { Int(now.timeIntervalSince($0)) }, forKey: "age_seconds")
            var stale = false
            if let newest = location.newestAt, let limit = facts.staleAfter { stale = now.timeIntervalSince(newest) > limit }
            try c.encode(stale, forKey: "stale")
            try c.encode(location.recordedAt.map(rfc3339), forKey: "recorded_at")
            try c.encode(facts.pending[name] ?? [], forKey: "pending")
            try c.encode(upload?.last.map(Run.init), forKey: "last_upload")
            try c.encode(upload?.lastSuccess.map(Run.init), forKey: "last_upload_success")
            try c.encode(facts.state.verifies[name].map(Run.init), forKey: "last_verify")
        }
    }

    public var generatedAt: Date
    public var daemon: Daemon
    public var jobs: [Job]

    /// Every problem, each prefixed with its job's name; the daemon's last.
    public var problems: [String] {
        jobs.flatMap { job in job.problems.map { "\(job.facts.job.name): \($0)" } }
            + [HealthCheck.daemonProblem(daemon.liveness, record: daemon.record, expected: daemon.expected)].compactMap { $0 }
    }

    public var healthy: Bool { problems.isEmpty }

    /// The one verdict line (`status` prints it first, `status --check` prints only it).
    public var verdict: String {
        let running = daemon.expected && daemon.liveness == .running
        return HealthCheck.verdict(
            problems: problems, jobs: jobs.count,
            daemon: running ? daemon.record.map { "daemon running (pid \($0.pid))" } : nil)
    }

    /// Gathers the report for the environment's configuration at `now`.
    public static func gather(_ env: Environment, now: Date, isDaemon: (Int32) -> Bool = DaemonLiveness.isRespaldoDaemon) -> StatusReport {
        let config = env.config
        let jobs = JobFacts.gather(env, now: now).map { facts in
            Job(facts: facts, problems: HealthCheck.problems(of: facts, now: now), now: now,
                running: RunActivity.load(stateDir: env.state.root, job: facts.job.name).flatMap { $0.isLive ? $0 : nil })
        }
        var record: DaemonRecord?
        var problem: String?
        do {
            record = try DaemonRecord.load(stateDir: env.state.root)
        } catch {
            problem = "\(error)"
        }
        let expected = config.jobs.contains { $0.schedule != nil || $0.drill?.schedule != nil }
        let daemon = Daemon(expected: expected, liveness: DaemonLiveness.of(record, now: now, isDaemon: isDaemon), record: record, recordProblem: problem)
        return StatusReport(generatedAt: now, daemon: daemon, jobs: jobs)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(Self.formatName, forKey: "format")
        try c.encode(rfc3339(generatedAt), forKey: "generated_at")
        try c.encode(healthy, forKey: "healthy")
        try c.encode(verdict, forKey: "verdict")
        try c.encode(problems, forKey: "problems")
        try c.encode(daemon, forKey: "daemon")
        try c.encode(jobs, forKey: "jobs")
    }

    /// String keys, so each encoder lists its fields in one place.
    struct Key: CodingKey, ExpressibleByStringLiteral {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        init(stringLiteral value: String) { stringValue = value }
    }
}
