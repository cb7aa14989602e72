import Foundation
import Storage
import Synchronization

/// Which snapshots of a job each remote held when respaldo last looked, so that `list` can say
/// where every snapshot is without connecting anywhere (a remote may be slow, down, or far).
/// `<state_dir>/remotes/<remote>/<job>.json`. Written after each upload (one more copy) and
/// after each full look at the remote (`upload`'s comparison, a prune there: the whole list).
/// It records what was seen, not what is: `list --remote NAME` asks the remote itself.
public enum RemoteCopies {
    public struct Copy: Codable, Sendable, Equatable {
        public var id: String
        public var startedAt: String
        public var finishedAt: String
        public var plainBytes: Int64
        public var artifactBytes: Int64
        public var artifact: String
        public var encryption: String

        enum CodingKeys: String, CodingKey {
            case id, encryption, artifact
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case plainBytes = "plain_bytes"
            case artifactBytes = "artifact_bytes"
        }

        init(_ manifest: Manifest) {
            id = manifest.id
            startedAt = manifest.startedAt
            artifact = manifest.artifact.name
            finishedAt = manifest.finishedAt
            plainBytes = manifest.plain.bytes
            artifactBytes = manifest.artifact.bytes
            encryption = manifest.artifact.encryption
        }
    }

    public struct Record: Codable, Sendable, Equatable {
        /// When this remote was last looked at or written to (RFC 3339 UTC).
        public var updatedAt: String
        /// Oldest first.
        public var copies: [Copy]

        enum CodingKeys: String, CodingKey {
            case updatedAt = "updated_at"
            case copies
        }
    }

    /// Serializes this process's read-modify-write of a record (the daemon uploads from
    /// several threads); runs of one job are serialized across processes by its lock.
    private static let writing = Mutex(())

    static func path(stateDir: String, remote: String, job: String) -> String {
        StateDirectory(root: stateDir).remoteCopies(remote: remote, job: job)
    }

    /// The record of `job` on `remote`, or nil when none was kept (or it cannot be read: it is
    /// informational, the next upload or prune writes it again).
    public static func load(stateDir: String, remote: String, job: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir, remote: remote, job: job)) else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    /// One more snapshot on `remote`.
    static func add(_ manifest: Manifest, stateDir: String, remote: String) {
        writing.withLock { _ in
            var copies = load(stateDir: stateDir, remote: remote, job: manifest.job)?.copies ?? []
            copies.removeAll { $0.id == manifest.id }
            copies.append(Copy(manifest))
            store(copies, stateDir: stateDir, remote: remote, job: manifest.job)
        }
    }

    /// Everything `remote` holds of `job`, as just listed.
    static func replace(_ manifests: [Manifest], stateDir: String, remote: String, job: String) {
        writing.withLock { _ in
            store(manifests.map(Copy.init), stateDir: stateDir, remote: remote, job: job)
        }
    }

    private static func store(_ copies: [Copy], stateDir: String, remote: String, job: String) {
        let file = path(stateDir: stateDir, remote: remote, job: job)
        let record = Record(updatedAt: rfc3339(Date()), copies: copies.sorted { $0.id < $1.id })
        guard (try? makePrivateDirectory(StateDirectory(root: stateDir).remoteCopies)) != nil,
              (try? makePrivateDirectory(StateDirectory(root: stateDir).remoteCopies(remote: remote))) != nil,
              let data = try? JSONEncoder().encode(record) else { return }
        try? writeFileAtomically(Array(data), to: file, temporary: file + ".partial", mode: 0o600)
    }
}
