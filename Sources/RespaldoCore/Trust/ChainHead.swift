import Foundation
import Storage

/// The newest snapshot of a job in the local folder, as the next manifest's `previous`.
/// A manifest that cannot be read or parsed is passed over (it is reported elsewhere); the
/// chain then links to the newest one that can.
struct ChainHead {
    var id: String
    var manifestSHA256: String
    var sequence: Int64

    static func find(in store: any Store, job: String) -> ChainHead? {
        guard let objects = try? store.list(job) else { return nil }
        let ids = objects.compactMap { SnapshotFiles.id(ofManifestName: $0.name, job: job) }.sorted(by: >)
        for id in ids {
            guard let bytes = try? store.read(SnapshotFiles.manifestName(id, job: job), limit: Manifest.maxBytes),
                  let manifest = try? Manifest.decode(bytes, name: id), manifest.id == id
            else { continue }
            return ChainHead(id: id, manifestSHA256: sha256Hex(bytes), sequence: manifest.sequence ?? 0)
        }
        return nil
    }
}
