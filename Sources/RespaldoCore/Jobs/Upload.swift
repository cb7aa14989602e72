import Foundation
import Logging
import Storage

/// Copies complete local snapshots to a remote: the artifact first (to a `.partial` name,
/// resumed when an earlier upload was interrupted, size-checked, renamed), the manifest last,
/// so the remote snapshot exists only once everything is there.
public struct UploadJob {
    /// Its cancellation aborts the transfer in progress (the remote `.partial` stays for the
    /// next upload).
    public let env: Environment
    var config: Config { env.config }
    var logger: Logger { env.logger }
    /// A progress line per upload (on a terminal).
    public var showProgress = false

    public init(env: Environment) {
        self.env = env
    }

    /// Uploads one snapshot; its pending marker is cleared only on success. The local artifact
    /// is checked against its manifest first: local damage is never copied to a remote.
    /// With `[signing]`, the signature goes before the manifest, and (unless `publishInventory`
    /// is false, for a caller that uploads several) the remote's signed inventory after.
    /// `localCopyChecked`: this caller already read the local artifact against its manifest in
    /// this run (a backup sending one snapshot to several remotes reads it once, not per remote).
    public func upload(_ snapshot: Snapshot, to remote: any CancellableStore, publishInventory: Bool = true, localCopyChecked: Bool = false) throws {
        // Cancellation (SIGINT/SIGTERM, a backup's timeout) aborts the transfer; the remote
        // `.partial` stays for the next upload.
        let registration = env.cancellation.onCancel { _ in remote.cancel() }
        defer { registration.remove() }
        let pending = env.state.pending
        try pending.mark(snapshot.id, remote: remote.location)
        let local = env.local
        let started = env.clock.now()
        do {
            let meter = showProgress ? ProgressMeter(label: "upload \(snapshot.id) to \(remote.location)", total: snapshot.manifest.artifact.bytes) : nil
            defer { meter?.stop() }
            if !localCopyChecked {
                meter?.setPhase("checking the local copy")
                try checkLocalCopy(snapshot, in: local)
            }
            var result = PutFileResult(bytes: snapshot.manifest.artifact.bytes, resumedFrom: snapshot.manifest.artifact.bytes)
            if try remote.size(of: snapshot.artifactPath) != nil {
                // Published by an earlier attempt that stopped before the manifest, or another
                // host's file under the same id: a name is never replaced, so it must be ours.
                meter?.setPhase("checking the copy already there")
                try checkRemoteArtifact(snapshot, on: remote)
            } else {
                meter?.setPhase(nil)
                result = try remote.putFile(snapshot.artifactPath, localPath: local.path(of: snapshot.artifactPath)) { sent, _ in meter?.set(sent) }
            }
            meter?.stop()
            guard result.bytes == snapshot.manifest.artifact.bytes else {
                throw IntegrityError.size(what: "uploaded artifact", expected: snapshot.manifest.artifact.bytes, actual: result.bytes)
            }
            try publishManifest(snapshot, from: local, to: remote)
            pending.clear(snapshot.id, remote: remote.location)
            SnapshotCounts.noteUploaded(snapshot.id, stateDir: env.state.root, job: snapshot.manifest.job, location: remote.location, at: env.clock.now())
            RemoteCopies.add(snapshot.manifest, stateDir: env.state.root, remote: remote.location)
            if publishInventory { try self.publishInventory(job: snapshot.manifest.job, at: remote) }
            env.audit.record(.upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location)
            let seconds = max(env.clock.now().timeIntervalSince(started), 0.001)
            let resumed = result.resumedFrom > 0 ? ", resumed at \(formatBytes(result.resumedFrom))" : ""
            logger.info("upload \(snapshot.id) to \(remote.location): \(formatBytes(result.bytes)) in \(String(format: "%.1f", seconds)) s (\(formatBytes(Int64(Double(result.bytes) / seconds)))/s\(resumed))")
        } catch {
            env.audit.record(.upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location, error: error)
            // Thrown, not logged: whoever catches it prints it, once.
            throw RespaldoError.operationFailed(.init(operation: "upload", object: "\(snapshot.id) to \(remote.location)", cause: error,
                                                      advice: "it stays pending (`respaldo upload` sends it later)"))
        }
    }

    /// Completes a streamed upload: the artifact is already in place on the remote (it was
    /// streamed while the local copy was written); its size is checked, then the manifest goes.
    public func publishStreamed(_ snapshot: Snapshot, to remote: any CancellableStore) throws {
        do {
            let size = try remote.size(of: snapshot.artifactPath)
            guard size == snapshot.manifest.artifact.bytes else {
                throw IntegrityError.size(what: "streamed artifact", expected: snapshot.manifest.artifact.bytes, actual: size ?? 0)
            }
            try publishManifest(snapshot, from: env.local, to: remote)
            env.state.pending.clear(snapshot.id, remote: remote.location)
            SnapshotCounts.noteUploaded(snapshot.id, stateDir: env.state.root, job: snapshot.manifest.job, location: remote.location, at: env.clock.now())
            RemoteCopies.add(snapshot.manifest, stateDir: env.state.root, remote: remote.location)
            try publishInventory(job: snapshot.manifest.job, at: remote)
            env.audit.record(.upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location)
            logger.info("upload \(snapshot.id) to \(remote.location): streamed during the backup (\(formatBytes(snapshot.manifest.artifact.bytes)))")
        } catch {
            env.audit.record(.upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location, error: error)
            // Thrown, not logged: whoever catches it prints it, once.
            throw RespaldoError.operationFailed(.init(operation: "upload", object: "\(snapshot.id) to \(remote.location)", cause: error,
                                                      advice: "it stays pending (`respaldo upload` sends it later)"))
        }
    }

    /// Uploads every complete local snapshot of `job` that `remote` lacks, oldest first.
    /// Returns the ids uploaded; throws after trying them all if any failed.
    public func uploadMissing(job: JobConfig, to remote: any CancellableStore) throws -> [String] {
        let local = try Catalog.snapshots(in: env.local, job: job.name)
        let remoteSnapshots = try Catalog.snapshots(in: remote, job: job.name)
        let present = Set(remoteSnapshots.map(\.id))
        RemoteCopies.replace(remoteSnapshots.map(\.manifest), stateDir: env.state.root, remote: remote.location, job: job.name)
        let pending = env.state.pending
        // A marker whose snapshot is gone locally (pruned while the remote was down) can never
        // be served: it would show as pending forever.
        let localIDs = Set(local.map(\.id))
        for id in pending.ids(remote: remote.location, job: job.name) where !localIDs.contains(id) {
            logger.warning("pending upload of \(id) to \(remote.location) dropped: the snapshot no longer exists locally")
            pending.clear(id, remote: remote.location)
        }
        var uploaded: [String] = []
        /// Each said once, in the error thrown at the end; a lone one is thrown as it is.
        var failures: [any Error] = []
        for snapshot in local {
            if present.contains(snapshot.id) {
                // "Already there" only when the remote holds exactly what was published here.
                if let difference = remoteDifference(snapshot, local: env.local, remote: remote) {
                    failures.append(RespaldoError.failed("\(snapshot.id): the copy on \(remote.location) differs from the local one (\(difference)); it is not replaced, check it with `respaldo verify --remote \(remote.location)`"))
                } else {
                    pending.clear(snapshot.id, remote: remote.location)
                }
                continue
            }
            do {
                try upload(snapshot, to: remote, publishInventory: false)
                uploaded.append(snapshot.id)
            } catch {
                failures.append(error)
            }
        }
        do {
            try publishInventory(job: job.name, at: remote)
        } catch {
            failures.append(RespaldoError.operationFailed(.init(operation: "signed inventory", object: "\(job.name) at \(remote.location)", cause: error)))
        }
        SnapshotCounts.record(stateDir: env.state.root, job: job.name, location: remote.location, count: present.count + uploaded.count,
                              newest: present.union(uploaded).max(), at: env.clock.now())
        if failures.count == 1 { throw failures[0] }
        if !failures.isEmpty {
            throw RespaldoError.failed("\(failures.count) uploads of \(job.name) to \(remote.location) failed:\n  " + failures.map { "\($0)" }.joined(separator: "\n  "))
        }
        return uploaded
    }

    /// The local artifact's size and SHA-256 against its manifest, read in full.
    func checkLocalCopy(_ snapshot: Snapshot, in local: any Store) throws {
        let reader = SnapshotReader(store: local, snapshot: snapshot, identities: [], cancellation: env.cancellation)
        do {
            try reader.run(decode: false, meter: nil) { next in while try next() != nil {} }
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "check", object: "the local copy of \(snapshot.id)", cause: error) { [id = snapshot.id] in
                "the local copy of \(id) is damaged (\($0)); it is not uploaded: run `respaldo verify \(id)`"
            })
        }
    }

    /// Signature (when there is one) then manifest, copied byte for byte from the local folder.
    func publishManifest(_ snapshot: Snapshot, from local: any Store, to remote: any Store) throws {
        let signatureName = snapshot.files.signature
        if try local.size(of: signatureName) != nil {
            try putOnce(signatureName, bytes: try local.read(signatureName, limit: ManifestSigner.maxSignatureBytes), to: remote)
        }
        let manifestName = snapshot.files.manifest
        try putOnce(manifestName, bytes: try local.read(manifestName, limit: Manifest.maxBytes), to: remote)
    }

    /// Puts a small file unless the very same bytes are already there (an earlier attempt);
    /// different bytes under the name are an error, never overwritten.
    private func putOnce(_ name: String, bytes: [UInt8], to remote: any Store) throws {
        if try remote.size(of: name) != nil {
            guard try remote.read(name, limit: Manifest.maxBytes) == bytes else {
                throw RespaldoError.failed("\(remote.location) already holds a different \(name) (another host with the same job name?); it is not replaced")
            }
            return
        }
        try remote.put(name, bytes: bytes)
    }

    /// The remote artifact already under this snapshot's name is exactly the local one.
    private func checkRemoteArtifact(_ snapshot: Snapshot, on remote: any Store) throws {
        do {
            try SnapshotReader(store: remote, snapshot: snapshot, identities: [], cancellation: env.cancellation).run(decode: false, meter: nil) { next in
                while try next() != nil {}
            }
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "check", object: "\(snapshot.artifactPath) on \(remote.location)", cause: error) {
                [location = remote.location, path = snapshot.artifactPath] in
                "\(location) already holds \(path) and it is not this snapshot's artifact (\($0)); it is not replaced: another host with the same job name and remote folder?"
            })
        }
        logger.info("upload \(snapshot.id) to \(remote.location): the artifact was already there (an earlier attempt) and matches")
    }

    func publishInventory(job: String, at remote: any Store) throws {
        guard let signer = try config.signing.map(ManifestSigner.load) else { return }
        try InventoryPublisher(env: env, signer: signer).publish(job: job, at: remote)
    }

    /// Why the remote's copy of `snapshot` is not the local one, or nil when it is: the
    /// manifest's exact bytes and the artifact's size are compared (the artifact's bytes are
    /// checked by `verify --remote`).
    func remoteDifference(_ snapshot: Snapshot, local: any Store, remote: any Store) -> String? {
        let manifestName = snapshot.files.manifest
        guard let ours = try? local.read(manifestName, limit: Manifest.maxBytes) else { return nil }
        guard let theirs = try? remote.read(manifestName, limit: Manifest.maxBytes) else { return "its manifest cannot be read" }
        if ours != theirs { return "its manifest is different" }
        guard let size = try? remote.size(of: snapshot.artifactPath) else { return "its artifact is missing or cannot be examined" }
        if size != snapshot.manifest.artifact.bytes { return "its artifact has \(size) bytes, expected \(snapshot.manifest.artifact.bytes)" }
        return nil
    }
}
