import Foundation

extension Workspace {
    /// Writes the run state of `job` as if its last successful backup (or, with `drill`, its
    /// last drill that passed) started `lastSuccessDaysAgo` days ago, so that the daemon's
    /// catch-up makes a daily schedule due the moment it starts: no test waits for a
    /// scheduled time. With `laterFailure`, a run a day later failed, so the next good run
    /// is news in the metrics and in `status`.
    func seedRunState(job: String, drill: Bool = false, lastSuccessDaysAgo days: Double, laterFailure: Bool = false) throws {
        let formatter = ISO8601DateFormatter()
        func record(daysAgo: Double, success: Bool) -> String {
            let started = Date().addingTimeInterval(-daysAgo * 86400)
            return "{\"started_at\": \"\(formatter.string(from: started))\", \"finished_at\": \"\(formatter.string(from: started.addingTimeInterval(60)))\", \"success\": \(success)}"
        }
        let success = record(daysAgo: days, success: true)
        let last = laterFailure ? record(daysAgo: days - 1, success: false) : success
        let (lastKey, successKey) = drill ? ("last_drill", "last_drill_success") : ("last_run", "last_success")
        try FileManager.default.createDirectory(atPath: stateDir + "/runs", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Files.write(stateDir + "/runs/\(job).json", """
            {"format": "respaldo-run-state/1", "job": "\(job)", "\(lastKey)": \(last), "\(successKey)": \(success)}

            """)
    }
}
