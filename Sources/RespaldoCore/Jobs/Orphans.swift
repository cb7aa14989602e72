import Foundation
import Storage

/// Files that belong to no snapshot: what a run killed between its artifact's rename and its
/// manifest leaves under final names (`<id>.<ext>.gz[.age]`, and `<id>.manifest.json.sig`,
/// which is published just before the manifest). Nothing lists, verifies or counts them, so
/// without this nothing would ever remove them either.
///
/// A file is an orphan only when all of these hold:
/// - its name is a snapshot file of the job: a well-formed id of the job, then an artifact
///   extension or the manifest signature's;
/// - no manifest of that id exists at that location (not even a damaged one: a damaged
///   snapshot is reported, never silently removed);
/// - its id is older than `newest`, the newest complete snapshot at that location (with
///   `[trust]`, the newest the backup server signed: a planted manifest cannot move the line).
///   Anything newer may be a run in progress (on another host sharing the remote);
/// - it is not in `keep` (ids a pending upload to this location will complete).
/// Signed inventories (`inventory-*.json`, `.sig`) and any other name are never orphans.
enum Orphans {
    /// The orphans among `objects` (a listing of `job`'s folder), as store names.
    static func find(in objects: [StoredObject], job: String, newest: SnapshotID?, keep: Set<String> = []) -> [String] {
        guard let newest, newest.job == job else { return [] }
        let manifests = Set(objects.compactMap { SnapshotFiles.id(ofManifestName: $0.name, job: job) })
        return objects.map(\.name).filter { name in
            guard let (id, suffix) = split(name, job: job) else { return false }
            guard SnapshotFiles.artifactSuffixes.contains(suffix) || suffix == SnapshotFiles.manifestSuffix + ManifestSigner.signatureSuffix else { return false }
            guard !manifests.contains(id.description), !keep.contains(id.description) else { return false }
            return id.time < newest.time
        }.sorted()
    }

    /// `job/<id><suffix>` as the id and the suffix (from the first dot), when the id is one of `job`'s.
    private static func split(_ name: String, job: String) -> (SnapshotID, String)? {
        guard name.hasPrefix(job + "/") else { return nil }
        let base = name.dropFirst(job.count + 1)
        guard !base.hasPrefix(Inventory.prefix), let dot = base.firstIndex(of: ".") else { return nil }
        let idText = String(base[..<dot])
        guard let id = SnapshotID(idText), id.job == job, id.description == idText else { return nil }
        return (id, String(base[dot...]))
    }
}
