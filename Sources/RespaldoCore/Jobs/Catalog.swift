import Foundation
import Storage

/// A complete snapshot: one whose manifest exists in a store. Listings keep many of these, so
/// the manifest's row counts are left out (`Catalog.rowCounts` reads them when a drill needs
/// them, checking the bytes are the ones listed).
public struct Snapshot: Sendable {
    public var manifest: Manifest
    public var location: String
    /// SHA-256 of the manifest's exact bytes as read (nil for one built in memory).
    public var manifestSHA256: String?

    public init(manifest: Manifest, location: String, manifestSHA256: String? = nil) {
        self.manifest = manifest
        self.location = location
        self.manifestSHA256 = manifestSHA256
    }

    /// The listing's form of a decoded manifest: without its (possibly large) table counts.
    static func listed(_ manifest: Manifest, bytes: [UInt8], location: String) -> Snapshot {
        var light = manifest
        light.tables = nil
        return Snapshot(manifest: light, location: location, manifestSHA256: sha256Hex(bytes))
    }

    public var id: String { manifest.id }
    /// Derived from the id, never from the name the manifest states (a damaged or hostile
    /// manifest could name another snapshot's artifact; Catalog refuses one that disagrees).
    public var files: SnapshotFiles {
        SnapshotFiles(id: manifest.id, job: manifest.job, sourceKind: manifest.source.kind, encrypted: manifest.isEncrypted)
    }
    public var artifactPath: String { files.artifact }
}

/// Finds snapshots in a store. The manifest is the commit marker: an artifact without one is
/// not a snapshot (an interrupted run), and nothing here ever reports it.
enum Catalog {
    struct Scan {
        var snapshots: [Snapshot] = []
        /// Manifests that cannot be read, parsed, or that disagree with their own name: each
        /// is reported and skipped, and never stops the other snapshots or jobs.
        var damaged: [(name: String, reason: String)] = []
    }

    static func scan(in store: any Store, job: String) throws -> Scan {
        var scan = Scan()
        for object in try store.list(job) where object.name.hasSuffix(SnapshotFiles.manifestSuffix) {
            do {
                scan.snapshots.append(try snapshot(object, in: store, job: job))
            } catch StorageError.notFound {
                // Gone since the listing (a prune ran meanwhile), or a phantom entry of a
                // confusable listing: nothing is there to check.
                continue
            } catch {
                scan.damaged.append((escaped(object.name), "\(error)"))
            }
        }
        scan.snapshots.sort { $0.manifest.id < $1.manifest.id }
        return scan
    }

    /// The readable, consistent snapshots of `job` (damaged manifests are skipped: see `scan`).
    static func snapshots(in store: any Store, job: String) throws -> [Snapshot] {
        try scan(in: store, job: job).snapshots
    }

    /// One manifest, checked against the name it is stored under: a manifest is only believed
    /// about the snapshot its file name stands for.
    private static func snapshot(_ object: StoredObject, in store: any Store, job: String) throws -> Snapshot {
        guard let id = SnapshotFiles.id(ofManifestName: object.name, job: job) else {
            throw RespaldoError.failed("not the manifest name of a snapshot of job \(job)")
        }
        guard object.size <= Int64(Manifest.maxBytes) else {
            throw RespaldoError.failed("\(object.size) bytes, more than a manifest can be")
        }
        let bytes = try store.read(object.name, limit: Manifest.maxBytes)
        let manifest = try Manifest.decode(bytes, name: "\(store.location):\(escaped(object.name))")
        guard manifest.id == id, manifest.job == job else {
            throw RespaldoError.failed("it names snapshot \(escaped(manifest.id)) of job \(escaped(manifest.job)), not \(id)")
        }
        let expected = Snapshot(manifest: manifest, location: store.location).files.artifactName
        guard manifest.artifact.name == expected else {
            throw RespaldoError.failed("it names artifact \(escaped(manifest.artifact.name)), not \(expected)")
        }
        return Snapshot.listed(manifest, bytes: bytes, location: store.location)
    }

    /// The snapshot named `id`, or nil when no manifest exists for it.
    static func snapshot(in store: any Store, id: SnapshotID) throws -> Snapshot? {
        let name = SnapshotFiles.manifestName(id.description, job: id.job)
        guard let size = try store.size(of: name) else { return nil }
        do {
            return try snapshot(StoredObject(name: name, size: size), in: store, job: id.job)
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "read", object: "manifest \(store.location):\(name)", cause: error) {
                [location = store.location] in "manifest \(location):\(name) is damaged: \($0)"
            })
        }
    }

    /// True when any file of the snapshot `id` exists (complete or not): a new run must not
    /// reuse its name.
    static func idIsTaken(_ id: SnapshotID, in store: any Store) throws -> Bool {
        let prefix = "\(id.job)/\(id.description)."
        return try (store.list(id.job) + store.partials(id.job)).contains { $0.name.hasPrefix(prefix) }
    }

    /// The row counts the snapshot's manifest records, read again (listings drop them) and
    /// only from the very bytes that were listed and checked.
    static func rowCounts(of snapshot: Snapshot, in store: any Store) throws -> [TableRowCount]? {
        let name = snapshot.files.manifest
        let bytes = try store.read(name, limit: Manifest.maxBytes)
        if let expected = snapshot.manifestSHA256, sha256Hex(bytes) != expected {
            throw RespaldoError.failed("the manifest of \(snapshot.id) in \(store.location) changed since it was checked")
        }
        return try Manifest.decode(bytes, name: "\(store.location):\(name)").tables
    }
}
