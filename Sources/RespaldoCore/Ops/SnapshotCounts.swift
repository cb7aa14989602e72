import Foundation
import Storage

/// What each remote held of a job when respaldo last looked (after an upload or a prune): how
/// many complete snapshots and the newest one, so that `status` and the metrics need no
/// connection to the remotes. `<state_dir>/counts/<job>.json`:
/// `{"geo": {"snapshots": 7, "newest": "crm-20261121T070000Z", "recorded_at": "…"}}`
/// (files of earlier versions, `{"geo": 7}`, are still read).
public enum SnapshotCounts {
    /// One remote, as last seen.
    public struct Entry: Codable, Sendable, Equatable {
        /// Nil when only uploads were noted since the remote was never listed.
        public var snapshots: Int?
        public var newest: String?
        public var recordedAt: Date?

        public init(snapshots: Int?, newest: String? = nil, recordedAt: Date? = nil) {
            self.snapshots = snapshots
            self.newest = newest
            self.recordedAt = recordedAt
        }

        enum CodingKeys: String, CodingKey {
            case snapshots, newest
            case recordedAt = "recorded_at"
        }
    }

    static func path(stateDir: String, job: String) -> String { StateDirectory(root: stateDir).counts(job: job) }

    /// The recorded counts; empty when none were recorded or the file is unreadable (the
    /// counts are informational: a lost file only hides a number until the next upload).
    public static func load(stateDir: String, job: String) -> [String: Int] {
        entries(stateDir: stateDir, job: job).compactMapValues(\.snapshots)
    }

    /// The recorded entries, by remote.
    public static func entries(stateDir: String, job: String) -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir, job: job)) else { return [:] }
        if let entries = try? RunState.decoder().decode([String: Entry].self, from: data) { return entries }
        let counts = (try? JSONDecoder().decode([String: Int].self, from: data)) ?? [:]
        return counts.mapValues { Entry(snapshots: $0) }
    }

    /// Records that `location` holds `count` snapshots of `job`, the newest being `newest`.
    static func record(stateDir: String, job: String, location: String, count: Int, newest: String?, at time: Date = Date()) {
        save(Entry(snapshots: count, newest: newest, recordedAt: time), stateDir: stateDir, job: job, location: location)
    }

    /// Records one snapshot uploaded to `location` without listing it: the newest one there
    /// now, and one more than the count last recorded (unknown stays unknown). A backup's own
    /// upload goes this way; an append-only remote is never pruned, so nothing else would.
    static func noteUploaded(_ id: String, stateDir: String, job: String, location: String, at time: Date = Date()) {
        let old = entries(stateDir: stateDir, job: job)[location]
        let newest = [old?.newest, id].compactMap { $0 }.max()
        save(Entry(snapshots: old?.snapshots.map { $0 + 1 }, newest: newest, recordedAt: time), stateDir: stateDir, job: job, location: location)
    }

    private static func save(_ entry: Entry, stateDir: String, job: String, location: String) {
        var entries = entries(stateDir: stateDir, job: job)
        entries[location] = entry
        let file = path(stateDir: stateDir, job: job)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(rfc3339(date))
        }
        guard (try? makePrivateDirectory(StateDirectory(root: stateDir).counts)) != nil,
              let data = try? encoder.encode(entries) else { return }
        try? writeFileAtomically(Array(data), to: file, temporary: file + ".partial", mode: 0o600)
    }
}
