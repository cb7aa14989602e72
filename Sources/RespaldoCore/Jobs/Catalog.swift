import Foundation
import Storage

/// A complete snapshot: one whose manifest exists in a store.
public struct Snapshot: Sendable {
    public var manifest: Manifest
    public var location: String

    public var id: String { manifest.id }
    public var artifactPath: String { "\(manifest.job)/\(manifest.artifact.name)" }
}

/// Finds snapshots in a store. The manifest is the commit marker: an artifact without one is
/// not a snapshot (an interrupted run), and nothing here ever reports it.
enum Catalog {
    static func snapshots(in store: any Store, job: String) throws -> [Snapshot] {
        let suffix = ".manifest.json"
        return try store.list(job)
            .filter { $0.name.hasSuffix(suffix) }
            .map { object in
                let manifest = try Manifest.decode(try store.read(object.name), name: "\(store.location):\(object.name)")
                return Snapshot(manifest: manifest, location: store.location)
            }
            .sorted { $0.manifest.id < $1.manifest.id }
    }

    /// The snapshot named `id`, or nil when no manifest exists for it.
    static func snapshot(in store: any Store, id: SnapshotID) throws -> Snapshot? {
        let name = "\(id.job)/\(Manifest.fileName(for: id.description))"
        guard try store.size(of: name) != nil else { return nil }
        let manifest = try Manifest.decode(try store.read(name), name: "\(store.location):\(name)")
        guard manifest.id == id.description else {
            throw RespaldoError.failed("manifest \(store.location):\(name) names snapshot \(manifest.id)")
        }
        return Snapshot(manifest: manifest, location: store.location)
    }

    /// True when any file of the snapshot `id` exists (complete or not): a new run must not
    /// reuse its name.
    static func idIsTaken(_ id: SnapshotID, in store: any Store) throws -> Bool {
        let prefix = "\(id.job)/\(id.description)."
        return try (store.list(id.job) + store.partials(id.job)).contains { $0.name.hasPrefix(prefix) }
    }
}
