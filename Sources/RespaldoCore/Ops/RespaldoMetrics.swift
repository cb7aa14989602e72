import Foundation

/// What the metrics textfile says about one job: its run state (nil when it cannot be read)
/// and what the local folder and the recorded remote contents hold.
public struct JobMetricsInput: Sendable, Equatable {
    /// Per location ("local", a remote): the count (nil: never looked at) and the newest
    /// snapshot's dump start.
    public struct Location: Sendable, Equatable {
        public var name: String
        public var snapshots: Int?
        public var newestAt: Date?

        public init(name: String, snapshots: Int?, newestAt: Date? = nil) {
            self.name = name
            self.snapshots = snapshots
            self.newestAt = newestAt
        }
    }

    public var job: String
    public var state: RunState?
    public var locations: [Location]
    /// Snapshots each remote still lacks.
    public var pendingUploads: [String: Int]
    /// The job has drills (a `[jobs.drill]` table): its drill series is shown, 0 until one succeeds.
    public var drills: Bool
    /// `Freshness` limits, for scheduled backups and drills.
    public var staleAfter: TimeInterval?
    public var drillOverdueAfter: TimeInterval?

    public init(
        job: String, state: RunState?, locations: [Location] = [], pendingUploads: [String: Int] = [:], drills: Bool = false,
        staleAfter: TimeInterval? = nil, drillOverdueAfter: TimeInterval? = nil
    ) {
        self.job = job
        self.state = state
        self.locations = locations
        self.pendingUploads = pendingUploads
        self.drills = drills
        self.staleAfter = staleAfter
        self.drillOverdueAfter = drillOverdueAfter
    }
}

/// The respaldo metric families (README, "Metrics"), built from plain inputs so that the
/// writer only gathers data. Times are Unix seconds (ages are `time() - x` in PromQL: a
/// textfile is read long after it is written, so an age in it would be wrong by then);
/// durations and times are rounded to milliseconds.
public enum RespaldoMetrics {
    /// The whole textfile (node_exporter replaces all of a file's series on each read, so
    /// every job is in every write). `daemon` is the daemon's record, when there is one;
    /// `daemonExpected` (some job has a schedule) writes its heartbeat as 0 when there is none.
    ///
    /// A job that never succeeded has respaldo_last_success_timestamp_seconds 0 rather than no
    /// series. A job whose run state cannot be read has respaldo_state_unreadable 1 and none of
    /// the series that come from it: no invented zeroes. Byte counts are those of the newest
    /// good snapshot, so a failed run does not draw the size graph down to zero.
    public static func textfile(
        jobs: [JobMetricsInput], version: String = respaldoVersion, daemon: DaemonRecord? = nil, daemonExpected: Bool = false
    ) throws -> MetricsTextfile {
        var file = MetricsTextfile()
        try file.add("respaldo_build_info", help: "The respaldo version that wrote this file (always 1).", labels: ["version": version], value: 1)
        if daemon != nil || daemonExpected {
            try file.add(
                "respaldo_daemon_heartbeat_timestamp_seconds",
                help: "Unix time the daemon's scheduling loop last went round (0: no daemon has run); it stops moving when the daemon stops.",
                value: seconds(daemon?.heartbeatAt))
            if let daemon {
                try file.add("respaldo_daemon_start_time_seconds", help: "Unix time the daemon started.", value: seconds(daemon.startedAt))
            }
        }
        for input in jobs {
            try add(input, to: &file)
        }
        return file
    }

    private static func add(_ input: JobMetricsInput, to file: inout MetricsTextfile) throws {
        let job = ["job": input.job]
        try file.add(
            "respaldo_state_unreadable", help: "1 if the job's run state file cannot be read (its run series are then absent).",
            labels: job, value: input.state == nil ? 1 : 0)
        for location in input.locations {
            let labels = ["job": input.job, "location": location.name]
            if let count = location.snapshots {
                try file.add("respaldo_snapshots", help: "Complete snapshots of the job per storage location.", labels: labels, value: Double(count))
            }
            try file.add(
                "respaldo_newest_snapshot_timestamp_seconds",
                help: "Unix time the newest snapshot at the location was taken (0: none known); its age is time() minus this.",
                labels: labels, value: seconds(location.newestAt))
            if let newest = location.newestAt, let limit = input.staleAfter {
                try file.add(
                    "respaldo_snapshot_stale_timestamp_seconds",
                    help: "Unix time the newest snapshot at the location becomes stale (twice the schedule's longest gap plus 1 h after it).",
                    labels: labels, value: seconds(newest.addingTimeInterval(limit)))
            }
        }
        for (remote, count) in input.pendingUploads {
            try file.add(
                "respaldo_pending_uploads", help: "Complete local snapshots of the job a remote still lacks.",
                labels: ["job": input.job, "remote": remote], value: Double(count))
        }
        guard let state = input.state else { return }
        try addRuns(state, input, to: &file)
    }

    private static func addRuns(_ state: RunState, _ input: JobMetricsInput, to file: inout MetricsTextfile) throws {
        let job = ["job": input.job]
        try file.add(
            "respaldo_last_success_timestamp_seconds",
            help: "Unix time the newest backup run that completed its local snapshot finished (0: never).",
            labels: job, value: seconds(state.lastSuccessAt))
        if let run = state.lastRun {
            try file.add(
                "respaldo_last_run_timestamp_seconds", help: "Unix time the last backup run of the job finished.",
                labels: job, value: seconds(run.finishedAt))
            try file.add(
                "respaldo_last_run_success",
                help: "1 if the last backup run succeeded completely (local snapshot, every remote copy, retention), else 0.",
                labels: job, value: run.outcome == .success ? 1 : 0)
            try file.add(
                "respaldo_last_run_duration_seconds", help: "How long the last backup run of the job took.",
                labels: job, value: milliseconds(max(0, run.durationSeconds)))
        }
        if let good = state.lastSuccess {
            if let plain = good.plainBytes {
                try file.add("respaldo_last_plain_bytes", help: "Size of the newest successful dump before compression.", labels: job, value: Double(plain))
            }
            if let artifact = good.artifactBytes {
                try file.add("respaldo_last_artifact_bytes", help: "Size of the newest successful stored artifact.", labels: job, value: Double(artifact))
            }
        }
        for (remote, record) in state.uploads {
            let labels = ["job": input.job, "remote": remote]
            if let last = record.last {
                try file.add(
                    "respaldo_last_upload_success", help: "1 if the last upload attempt of the job to the remote succeeded, else 0.",
                    labels: labels, value: last.success ? 1 : 0)
            }
            try file.add(
                "respaldo_last_upload_success_timestamp_seconds",
                help: "Unix time the last successful upload of the job to the remote finished (0: never).",
                labels: labels, value: seconds(record.lastSuccess?.finishedAt))
        }
        for (location, verify) in state.verifies {
            let labels = ["job": input.job, "location": location]
            try file.add("respaldo_last_verify_success", help: "1 if the last verify of the job's snapshots at the location passed, else 0.",
                         labels: labels, value: verify.success ? 1 : 0)
            try file.add("respaldo_last_verify_timestamp_seconds", help: "Unix time the last verify of the job's snapshots at the location finished.",
                         labels: labels, value: seconds(verify.finishedAt))
        }
        if input.drills || state.lastDrill != nil {
            try file.add(
                "respaldo_last_drill_success_timestamp_seconds",
                help: "Unix time the newest successful restore drill of the job finished (0: never).",
                labels: job, value: seconds(state.lastDrillSuccess?.finishedAt))
        }
        if let drill = state.lastDrill {
            try file.add("respaldo_last_drill_success", help: "1 if the last restore drill of the job passed, else 0.", labels: job, value: drill.success ? 1 : 0)
        }
        if let passed = state.lastDrillSuccess, let limit = input.drillOverdueAfter {
            try file.add(
                "respaldo_drill_overdue_timestamp_seconds",
                help: "Unix time a scheduled drill of the job is overdue (twice the drill schedule's longest gap plus 1 h after the last that passed).",
                labels: job, value: seconds(passed.finishedAt.addingTimeInterval(limit)))
        }
    }

    private static func seconds(_ date: Date?) -> Double {
        date.map { milliseconds($0.timeIntervalSince1970) } ?? 0
    }

    /// Rounded to the millisecond: `5.456`, not `5.455999851226807`.
    static func milliseconds(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}
