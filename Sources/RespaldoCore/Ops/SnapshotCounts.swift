import Foundation

/// How many complete snapshots of a job each remote held when respaldo last looked (after an
/// upload or a prune), so that `status` and the metrics need no connection to the remotes.
/// `<state_dir>/counts/<job>.json`: `{"geo": 7}`.
public enum SnapshotCounts {
    static func path(stateDir: String, job: String) -> String { "\(stateDir)/counts/\(job).json" }

    /// The recorded counts; empty when none were recorded or the file is unreadable (the
    /// counts are informational: a lost file only hides a number until the next upload).
    public static func load(stateDir: String, job: String) -> [String: Int] {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir, job: job)),
              let counts = try? JSONDecoder().decode([String: Int].self, from: data) else { return [:] }
        return counts
    }

    /// Records `count` snapshots of `job` at `location`.
    static func record(stateDir: String, job: String, location: String, count: Int) {
        var counts = load(stateDir: stateDir, job: job)
        counts[location] = count
        let file = path(stateDir: stateDir, job: job)
        guard (try? makePrivateDirectory(stateDir + "/counts")) != nil,
              let data = try? JSONEncoder().encode(counts) else { return }
        let temporary = file + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        rename(temporary, file)
    }
}
