import Foundation
import SSHSig
import Storage

/// The snapshots of one job at one location that a `[trust]` host accepts, and every reason it
/// refuses the rest. Nothing from the location is believed until checked: each name, each
/// manifest's signature, its id and job against its file name, its times, its encryption, the
/// chain between manifests, and the newest signed inventory (nothing listed may be missing,
/// and it may be neither older than one already seen nor older than `max_age`).
struct TrustedCatalog {
    let policy: TrustPolicy
    let now: Date

    struct Result {
        /// Authenticated snapshots, oldest first.
        var snapshots: [Snapshot] = []
        var problems: [TrustProblem] = []
    }

    /// A manifest listed but gone when read.
    private struct Vanished: Error {}

    private struct Signed {
        var snapshot: Snapshot
        var sha256: String
    }

    func audit(job: JobConfig, in store: any Store) throws -> Result {
        var result = Result()
        func problem(_ kind: TrustProblem.Kind, _ snapshot: String?, _ detail: String) {
            result.problems.append(TrustProblem(kind: kind, location: store.location, job: job.name, snapshot: snapshot, detail: detail))
        }
        let objects = try store.list(job.name)
        var signed: [Signed] = []
        for object in objects where object.name.hasSuffix(SnapshotFiles.manifestSuffix) {
            guard let id = SnapshotFiles.id(ofManifestName: object.name, job: job.name) else {
                problem(.tamper, nil, "\(escaped(object.name)) is not the manifest name of a snapshot of job \(job.name)")
                continue
            }
            do {
                signed.append(try check(id: id, object: object, job: job, in: store))
            } catch let failure as TrustProblem {
                result.problems.append(failure)
            } catch is Vanished {
                // Gone since the listing: if the inventory lists it, that check says so.
                continue
            }
        }
        signed.sort { $0.snapshot.id < $1.snapshot.id }
        checkChain(signed, problem)
        checkInventory(objects: objects, signed: signed, refused: Set(result.problems.compactMap(\.snapshot)),
                       job: job, in: store, problem)
        if let newest = signed.last, let finished = parseRFC3339(newest.snapshot.manifest.finishedAt),
           now.timeIntervalSince(finished) > policy.maxAge {
            problem(.tamper, nil, "the newest signed snapshot, \(newest.snapshot.id), finished \(newest.snapshot.manifest.finishedAt), longer ago than max_age (\(describe(policy.maxAge))): newer snapshots may be hidden")
        }
        // A snapshot with a problem of its own is left out; the job-wide problems stand beside.
        let refused = Set(result.problems.compactMap(\.snapshot))
        result.snapshots = signed.map(\.snapshot).filter { !refused.contains($0.id) }
        return result
    }

    /// One manifest: signature first, then what it says against where it lies.
    private func check(id: String, object: StoredObject, job: JobConfig, in store: any Store) throws -> Signed {
        func fail(_ kind: TrustProblem.Kind, _ detail: String) -> TrustProblem {
            TrustProblem(kind: kind, location: store.location, job: job.name, snapshot: id, detail: detail)
        }
        guard object.size <= Int64(Manifest.maxBytes) else {
            throw fail(.tamper, "the manifest has \(object.size) bytes, more than a manifest can be")
        }
        let bytes: [UInt8]
        do {
            bytes = try store.read(object.name, limit: Manifest.maxBytes)
        } catch StorageError.notFound {
            throw Vanished()
        } catch {
            throw fail(.tamper, "the manifest cannot be read: \(error)")
        }
        let signatureName = object.name + ManifestSigner.signatureSuffix
        guard let signature = try? store.read(signatureName, limit: ManifestSigner.maxSignatureBytes) else {
            let legacy = (try? Manifest.decode(bytes, name: object.name))?.isLegacy == true
            throw fail(.signature, legacy ? "a version 1 manifest, unsigned" : "no signature (\(signatureName) is missing)")
        }
        do {
            _ = try SSHSignature.verify(armored: String(decoding: signature, as: UTF8.self), message: bytes,
                                        namespace: SignatureNamespace.manifest, signers: policy.signers)
        } catch {
            throw fail(.signature, "\(error)")
        }
        guard let manifest = try? Manifest.decode(bytes, name: object.name) else {
            throw fail(.tamper, "the signed manifest is not a valid manifest")
        }
        guard manifest.id == id, manifest.job == job.name else {
            throw fail(.tamper, "its manifest names snapshot \(escaped(manifest.id)) of job \(escaped(manifest.job)) (replayed or swapped)")
        }
        guard !manifest.isLegacy, manifest.sequence != nil else {
            throw fail(.signature, "a version 1 manifest, unsigned")
        }
        for (what, value) in [("started_at", manifest.startedAt), ("finished_at", manifest.finishedAt)] {
            guard let time = parseRFC3339(value) else { throw fail(.tamper, "\(what) \"\(escaped(value))\" is not a time") }
            if time.timeIntervalSince(now) > TrustPolicy.skew { throw fail(.tamper, "\(what) \(value) is in the future") }
        }
        let expected = SnapshotFiles.artifactName(id: id, sourceKind: job.source.kind, encrypted: manifest.isEncrypted)
        guard manifest.artifact.name == expected else {
            throw fail(.tamper, "the manifest names artifact \(escaped(manifest.artifact.name)), expected \(expected)")
        }
        if policy.encryptionRequired && !manifest.isEncrypted {
            throw fail(.tamper, "the artifact is not encrypted, but [encryption] is configured (downgrade)")
        }
        if !policy.recipientFingerprints.isEmpty && manifest.artifact.encryption == "age" {
            let recorded = Set(manifest.artifact.recipientFingerprints ?? [])
            if recorded.isDisjoint(with: policy.recipientFingerprints) {
                throw fail(.tamper, "the artifact is encrypted to recipients \(recorded.sorted().joined(separator: ", ")), none of them configured in [encryption]")
            }
        }
        let snapshot = Snapshot.listed(manifest, bytes: bytes, location: store.location)
        return Signed(snapshot: snapshot, sha256: snapshot.manifestSHA256 ?? sha256Hex(bytes))
    }

    /// Sequences grow with time, no two snapshots share one, and a `previous` that is still
    /// here is exactly the manifest it names.
    private func checkChain(_ signed: [Signed], _ problem: (TrustProblem.Kind, String?, String) -> Void) {
        let byID = Dictionary(signed.map { ($0.snapshot.id, $0) }, uniquingKeysWith: { first, _ in first })
        var lastSequence: Int64 = .min
        var seen: [Int64: String] = [:]
        for entry in signed {
            let manifest = entry.snapshot.manifest
            let sequence = manifest.sequence ?? 0
            if let other = seen[sequence] {
                problem(.tamper, manifest.id, "it has sequence \(sequence), as \(other) has (a forked chain)")
            } else if sequence < lastSequence {
                problem(.tamper, manifest.id, "its sequence \(sequence) is lower than that of an older snapshot (\(lastSequence))")
            }
            seen[sequence] = manifest.id
            lastSequence = max(lastSequence, sequence)
            if let previous = manifest.previous, let before = byID[previous.id], before.sha256 != previous.manifestSHA256 {
                problem(.tamper, manifest.id, "the chain is broken: the manifest of \(previous.id) here is not the one it follows")
            }
        }
    }

    /// The newest signed inventory against what is here.
    private func checkInventory(objects: [StoredObject], signed: [Signed], refused: Set<String>, job: JobConfig, in store: any Store,
                                _ problem: (TrustProblem.Kind, String?, String) -> Void) {
        let candidates = objects.compactMap { object in Inventory.sequence(ofName: object.name).map { ($0, object) } }
            .sorted { $0.0 > $1.0 }
        var inventory: Inventory?
        for (_, object) in candidates {
            guard object.size <= Int64(Inventory.maxBytes),
                  let bytes = try? store.read(object.name, limit: Inventory.maxBytes),
                  let signature = try? store.read(object.name + ManifestSigner.signatureSuffix, limit: ManifestSigner.maxSignatureBytes)
            else { continue }
            do {
                _ = try SSHSignature.verify(armored: String(decoding: signature, as: UTF8.self), message: bytes,
                                            namespace: SignatureNamespace.inventory, signers: policy.signers)
            } catch {
                problem(.signature, nil, "inventory \(escaped(object.name)): \(error)")
                continue
            }
            guard let decoded = Inventory.decode(bytes), decoded.job == job.name,
                  Inventory.fileName(job: job.name, sequence: decoded.sequence) == object.name
            else {
                problem(.tamper, nil, "inventory \(escaped(object.name)) is signed but does not describe job \(job.name) under that name")
                continue
            }
            inventory = decoded
            break
        }
        guard let inventory else {
            if !signed.isEmpty { problem(.tamper, nil, "no signed inventory of job \(job.name) here: which snapshots should exist cannot be checked") }
            return
        }
        let seen = policy.highestSeenInventory(location: store.location, job: job.name)
        if inventory.sequence < seen {
            problem(.tamper, nil, "the newest signed inventory here has sequence \(inventory.sequence), but sequence \(seen) was seen before (an old inventory was put back)")
        }
        if let created = parseRFC3339(inventory.createdAt) {
            if created.timeIntervalSince(now) > TrustPolicy.skew {
                problem(.tamper, nil, "the signed inventory \(inventory.sequence) was created in the future (\(inventory.createdAt))")
            } else if now.timeIntervalSince(created) > policy.maxAge {
                problem(.tamper, nil, "the newest signed inventory (\(inventory.sequence), \(inventory.createdAt)) is older than max_age (\(describe(policy.maxAge))): newer snapshots may be hidden")
            }
        } else {
            problem(.tamper, nil, "the signed inventory \(inventory.sequence) has no valid time")
        }
        let present = Dictionary(signed.map { ($0.snapshot.id, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        for entry in inventory.snapshots {
            guard let sha = present[entry.id] else {
                // A manifest that is here but was refused has its own problem already.
                if !refused.contains(entry.id) {
                    problem(.tamper, entry.id, "listed in the signed inventory \(inventory.sequence) but missing here (deleted or hidden)")
                }
                continue
            }
            if sha != entry.manifestSHA256 {
                problem(.tamper, entry.id, "its manifest differs from the one the signed inventory \(inventory.sequence) lists")
            }
        }
        policy.rememberInventory(inventory.sequence, location: store.location, job: job.name)
    }

    private func describe(_ seconds: TimeInterval) -> String {
        seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600))h" : "\(Int(seconds))s"
    }
}

/// A name or id from a peer, safe to print (Storage's `printable`).
func escaped(_ text: String) -> String {
    printable(text)
}
