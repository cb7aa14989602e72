import Foundation
import Logging
import SSHSig
import Storage

/// Writes a job's signed inventory at one location, after an upload or a prune there.
///
/// The inventory lists only what this server can prove it published: manifests at the location
/// whose signature verifies with its own key. A snapshot forged or planted on the remote is
/// therefore never vouched for, even though the listing came from the remote.
struct InventoryPublisher {
    let signer: ManifestSigner
    let stateDir: String
    let logger: Logger
    let now: @Sendable () -> Date
    /// `[trust]`'s signers: an admin host that prunes an add-only remote with a key of its
    /// own vouches for the backup server's manifests too.
    var trusted: AllowedSigners? = nil

    init(env: Environment, signer: ManifestSigner) throws {
        self.signer = signer
        stateDir = env.state.root
        logger = env.logger
        now = env.clock.now
        trusted = try TrustPolicy.load(env.config)?.signers
    }

    /// Publishes the inventory of `job` at `store`, leaving out `excluding` (snapshots about to
    /// be deleted: the new inventory must not list them, or a verifier running between the
    /// deletion and the next inventory would see them missing). Older inventories go after.
    @discardableResult
    func publish(job: String, at store: any Store, excluding: Set<String> = []) throws -> Inventory {
        let objects = try store.list(job)
        var entries: [Inventory.Entry] = []
        for object in objects where object.name.hasSuffix(".manifest.json") {
            guard let id = SnapshotFiles.id(ofManifestName: object.name, job: job), !excluding.contains(id) else { continue }
            guard object.size <= Int64(Manifest.maxBytes),
                  let bytes = try? store.read(object.name, limit: Manifest.maxBytes),
                  let signature = try? store.read(object.name + ManifestSigner.signatureSuffix, limit: ManifestSigner.maxSignatureBytes),
                  signer.signedByUs(bytes, signature: signature, namespace: SignatureNamespace.manifest)
                    || trusted.map({ signedBy($0, bytes, signature) }) == true
            else {
                logger.warning("inventory of \(job) at \(store.location): \(escaped(object.name)) is not signed by this host's key or a trusted one; not listed")
                continue
            }
            entries.append(.init(id: id, manifestSHA256: sha256Hex(bytes)))
        }
        let existing = objects.compactMap { Inventory.sequence(ofName: $0.name) }
        // Only a validly signed inventory moves the sequence on: a name planted there (even
        // inventory-999999999999) neither exhausts the sequence nor is taken for ours; a planted
        // name is stepped over, never written onto.
        var sequence = max(highestSigned(existing, job: job, in: store), lastSequence(job: job)) + 1
        let taken = Set(existing)
        while taken.contains(sequence) && sequence < Inventory.maxSequence { sequence += 1 }
        guard sequence <= Inventory.maxSequence, !taken.contains(sequence) else {
            throw RespaldoError.failed("inventory of \(job) at \(store.location): no free inventory sequence left")
        }
        let inventory = Inventory(
            format: Inventory.formatName, job: job, location: store.location, sequence: sequence,
            createdAt: rfc3339(now()), host: hostName(), snapshots: entries.sorted { $0.id < $1.id })
        let bytes = try inventory.encoded()
        let name = Inventory.fileName(job: job, sequence: sequence)
        // The signature first: a verifier never sees an inventory without its signature.
        try store.put(name + ManifestSigner.signatureSuffix, bytes: try signer.sign(bytes, namespace: SignatureNamespace.inventory))
        try store.put(name, bytes: bytes)
        recordSequence(sequence, job: job)
        for old in existing where old < sequence {
            let oldName = Inventory.fileName(job: job, sequence: old)
            try? store.delete(oldName)
            try? store.delete(oldName + ManifestSigner.signatureSuffix)
        }
        logger.debug("inventory \(sequence) of \(job) at \(store.location): \(entries.count) snapshots")
        return inventory
    }

    private func signedBy(_ signers: AllowedSigners, _ bytes: [UInt8], _ signature: [UInt8],
                          namespace: String = SignatureNamespace.manifest) -> Bool {
        (try? SSHSignature.verify(armored: String(decoding: signature, as: UTF8.self), message: bytes,
                                  namespace: namespace, signers: signers)) != nil
    }

    /// The highest sequence among `sequences` whose inventory here is signed by this host's key
    /// or a trusted one; 0 when none is.
    private func highestSigned(_ sequences: [Int64], job: String, in store: any Store) -> Int64 {
        for sequence in sequences.sorted(by: >) {
            let name = Inventory.fileName(job: job, sequence: sequence)
            guard let bytes = try? store.read(name, limit: Inventory.maxBytes),
                  let signature = try? store.read(name + ManifestSigner.signatureSuffix, limit: ManifestSigner.maxSignatureBytes)
            else { continue }
            if signer.signedByUs(bytes, signature: signature, namespace: SignatureNamespace.inventory)
                || trusted.map({ signedBy($0, bytes, signature, namespace: SignatureNamespace.inventory) }) == true {
                return sequence
            }
        }
        return 0
    }

    /// The highest inventory sequence this server wrote for `job` anywhere: a location that lost
    /// its inventories (or shows an old one) never makes the sequence go back.
    private func counterPath(_ job: String) -> String { StateDirectory(root: stateDir).inventoryCounter(job: job) }

    private func lastSequence(job: String) -> Int64 {
        guard let data = FileManager.default.contents(atPath: counterPath(job)), data.count < 64,
              let value = Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              (0..<Inventory.maxSequence).contains(value)
        else { return 0 }  // a damaged counter: the location's own inventories still keep it growing
        return value
    }

    private func recordSequence(_ sequence: Int64, job: String) {
        guard sequence > lastSequence(job: job), (try? makePrivateDirectory(StateDirectory(root: stateDir).trust)) != nil else { return }
        let path = counterPath(job)
        do {
            try writeFileAtomically(Array("\(sequence)\n".utf8), to: path, temporary: path + ".partial", mode: 0o600)
        } catch {
            logger.warning("cannot record inventory sequence in \(path): \(error)")
        }
    }
}
