import Age
import Foundation
import Storage

/// Streams a stored snapshot back through every check its manifest allows: the artifact's size
/// and SHA-256, then (when decoding) age decryption, gunzip with its CRC-32, and the plain
/// SHA-256 and length. Any mismatch fails the stream before its end reaches the consumer.
struct SnapshotReader {
    let store: any Store
    let snapshot: Snapshot
    /// Identities for an encrypted snapshot; unused for a plain one.
    let identities: [any Identity]
    /// Stops the stream (SIGINT/SIGTERM, a backup's timeout): the job's, from its environment.
    let cancellation: CancellationToken
    /// When set, collects the time the decrypt and gunzip stages spend working (the drill's
    /// decrypt+decompress phase).
    var busyClock: BusyClock? = nil

    /// Whether `consume` can see plain bytes: always for unencrypted snapshots, and for
    /// encrypted ones only with identities.
    var canDecode: Bool { !snapshot.manifest.isEncrypted || !identities.isEmpty }

    /// `decode == false` checks the artifact only; `consume` then sees artifact bytes.
    func run(decode: Bool, meter: ProgressMeter?, consume: (_ next: () throws -> [UInt8]?) throws -> Void) throws {
        let manifest = snapshot.manifest
        let path = snapshot.artifactPath
        guard let size = try store.size(of: path) else {
            throw IntegrityError.missing(what: "artifact \(store.location):\(path)")
        }
        guard size == manifest.artifact.bytes else {
            throw IntegrityError.size(what: "artifact", expected: manifest.artifact.bytes, actual: size)
        }
        var stages: [any ChunkTransform] = [
            ExpectingHashTap(what: "artifact", bytes: manifest.artifact.bytes, sha256: manifest.artifact.sha256,
                             onBytes: progressCallback(meter)),
        ]
        if decode {
            precondition(canDecode)
            var decoders: [any ChunkTransform] = []
            if manifest.isEncrypted { decoders.append(CodecStage.decrypt(with: identities)) }
            decoders.append(try GunzipStage())
            stages += busyClock.map { clock in decoders.map { TimedStage($0, clock: clock) } } ?? decoders
            stages.append(ExpectingHashTap(what: "plain data", bytes: manifest.plain.bytes, sha256: manifest.plain.sha256))
        }
        let store = self.store
        try Pipeline(cancellation: cancellation).run(
            source: { emit in try store.get(path) { try emit(Array($0)) } },
            transforms: stages,
            consumer: consume)
    }
}
