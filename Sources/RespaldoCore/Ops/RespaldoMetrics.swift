import Foundation

/// What the metrics textfile says about one job: its run state and the counts the daemon
/// gathered (complete snapshots per location, pending uploads per remote).
public struct JobMetricsInput: Sendable, Equatable {
    public var state: RunState
    /// Complete snapshots per location: "local" and each remote's name.
    public var snapshots: [String: Int]
    /// Snapshots each remote still lacks.
    public var pendingUploads: [String: Int]
    /// The job has drills (a `[jobs.drill]` table): its drill series is shown, 0 until one succeeds.
    public var drills: Bool

    public init(state: RunState, snapshots: [String: Int] = [:], pendingUploads: [String: Int] = [:], drills: Bool = false) {
        self.state = state
        self.snapshots = snapshots
        self.pendingUploads = pendingUploads
        self.drills = drills
    }
}

/// The respaldo metric families, built from plain inputs so the daemon only gathers data.
public enum RespaldoMetrics {
    /// The whole textfile for `jobs` (node_exporter replaces all of a file's series on each
    /// read, so every job is in every write).
    ///
    /// A job that never succeeded has respaldo_last_success_timestamp_seconds 0 rather than no
    /// series, so that an alert on its age fires without a separate absent() rule. The last
    /// run's series appear once it has run; byte counts are those of the newest good snapshot,
    /// so a failed run does not draw the size graph down to zero.
    public static func textfile(jobs: [JobMetricsInput]) throws -> MetricsTextfile {
        var file = MetricsTextfile()
        for input in jobs {
            let state = input.state
            let job = ["job": state.job]
            try file.add(
                "respaldo_last_success_timestamp_seconds",
                help: "Unix time the newest successful backup of the job finished (0: never).",
                labels: job, value: seconds(state.lastSuccessAt))
            if let run = state.lastRun {
                try file.add(
                    "respaldo_last_run_timestamp_seconds", help: "Unix time the last backup run of the job finished.",
                    labels: job, value: seconds(run.finishedAt))
                try file.add(
                    "respaldo_last_run_success", help: "1 if the last backup run of the job succeeded, else 0.",
                    labels: job, value: run.success ? 1 : 0)
                try file.add(
                    "respaldo_last_run_duration_seconds", help: "How long the last backup run of the job took.",
                    labels: job, value: max(0, run.durationSeconds))
            }
            if let good = state.lastSuccess {
                if let plain = good.plainBytes {
                    try file.add(
                        "respaldo_last_plain_bytes", help: "Size of the newest successful dump before compression.",
                        labels: job, value: Double(plain))
                }
                if let artifact = good.artifactBytes {
                    try file.add(
                        "respaldo_last_artifact_bytes", help: "Size of the newest successful stored artifact.",
                        labels: job, value: Double(artifact))
                }
            }
            if input.drills || state.lastDrill != nil {
                try file.add(
                    "respaldo_last_drill_success_timestamp_seconds",
                    help: "Unix time the newest successful restore drill of the job finished (0: never).",
                    labels: job, value: seconds(state.lastDrillSuccess?.finishedAt))
            }
            for (location, count) in input.snapshots {
                try file.add(
                    "respaldo_snapshots", help: "Complete snapshots of the job per storage location.",
                    labels: ["job": state.job, "location": location], value: Double(count))
            }
            for (remote, count) in input.pendingUploads {
                try file.add(
                    "respaldo_pending_uploads", help: "Complete local snapshots of the job a remote still lacks.",
                    labels: ["job": state.job, "remote": remote], value: Double(count))
            }
        }
        return file
    }

    private static func seconds(_ date: Date?) -> Double {
        date.map { ($0.timeIntervalSince1970 * 1000).rounded() / 1000 } ?? 0
    }
}
