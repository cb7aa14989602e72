import Foundation
import Logging
import Storage

/// Copies complete local snapshots to a remote: the artifact first (to a `.partial` name,
/// resumed when an earlier upload was interrupted, size-checked, renamed), the manifest last,
/// so the remote snapshot exists only once everything is there.
public struct UploadJob {
    public let config: Config
    public let logger: Logger

    public init(config: Config, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Uploads one snapshot; its pending marker is cleared only on success.
    public func upload(_ snapshot: Snapshot, to remote: any CancellableStore) throws {
        // SIGINT/SIGTERM abort the transfer; the remote `.partial` stays for the next upload.
        let interruption = Interruption.register { _ in remote.cancel() }
        defer { Interruption.unregister(interruption) }
        let pending = PendingUploads(stateDir: config.stateDir)
        try pending.mark(snapshot.id, remote: remote.location)
        let local = LocalStore(root: config.localDir)
        let started = Date()
        do {
            let result = try remote.putFile(snapshot.artifactPath, localPath: local.path(of: snapshot.artifactPath))
            guard result.bytes == snapshot.manifest.artifact.bytes else {
                throw IntegrityError.size(what: "uploaded artifact", expected: snapshot.manifest.artifact.bytes, actual: result.bytes)
            }
            let manifestName = "\(snapshot.manifest.job)/\(Manifest.fileName(for: snapshot.id))"
            try remote.put(manifestName, bytes: try local.read(manifestName))
            pending.clear(snapshot.id, remote: remote.location)
            Audit.record(config, .upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location, logger: logger)
            let seconds = max(Date().timeIntervalSince(started), 0.001)
            let resumed = result.resumedFrom > 0 ? ", resumed at \(formatBytes(result.resumedFrom))" : ""
            logger.info("upload \(snapshot.id) to \(remote.location): \(formatBytes(result.bytes)) in \(String(format: "%.1f", seconds)) s (\(formatBytes(Int64(Double(result.bytes) / seconds)))/s\(resumed))")
        } catch {
            Audit.record(config, .upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location, error: error, logger: logger)
            logger.error("upload \(snapshot.id) to \(remote.location) failed: \(error); it stays pending (`respaldo upload` sends it later)")
            throw RespaldoError.failed("upload of \(snapshot.id) to \(remote.location) failed: \(error)")
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
            let manifestName = "\(snapshot.manifest.job)/\(Manifest.fileName(for: snapshot.id))"
            try remote.put(manifestName, bytes: try LocalStore(root: config.localDir).read(manifestName))
            PendingUploads(stateDir: config.stateDir).clear(snapshot.id, remote: remote.location)
            Audit.record(config, .upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location, logger: logger)
            logger.info("upload \(snapshot.id) to \(remote.location): streamed during the backup (\(formatBytes(snapshot.manifest.artifact.bytes)))")
        } catch {
            Audit.record(config, .upload, job: snapshot.manifest.job, snapshot: snapshot.id, target: remote.location, error: error, logger: logger)
            logger.error("upload \(snapshot.id) to \(remote.location) failed: \(error); it stays pending (`respaldo upload` sends it later)")
            throw RespaldoError.failed("upload of \(snapshot.id) to \(remote.location) failed: \(error)")
        }
    }

    /// Uploads every complete local snapshot of `job` that `remote` lacks, oldest first.
    /// Returns the ids uploaded; throws after trying them all if any failed.
    public func uploadMissing(job: JobConfig, to remote: any CancellableStore) throws -> [String] {
        let local = try Catalog.snapshots(in: LocalStore(root: config.localDir), job: job.name)
        let present = Set(try Catalog.snapshots(in: remote, job: job.name).map(\.id))
        let pending = PendingUploads(stateDir: config.stateDir)
        // A marker whose snapshot is gone locally (pruned while the remote was down) can never
        // be served: it would show as pending forever.
        let localIDs = Set(local.map(\.id))
        for id in pending.ids(remote: remote.location, job: job.name) where !localIDs.contains(id) {
            logger.warning("pending upload of \(id) to \(remote.location) dropped: the snapshot no longer exists locally")
            pending.clear(id, remote: remote.location)
        }
        var uploaded: [String] = []
        var failures: [String] = []
        for snapshot in local {
            if present.contains(snapshot.id) {
                pending.clear(snapshot.id, remote: remote.location)
                continue
            }
            do {
                try upload(snapshot, to: remote)
                uploaded.append(snapshot.id)
            } catch {
                failures.append(snapshot.id)
            }
        }
        SnapshotCounts.record(stateDir: config.stateDir, job: job.name, location: remote.location, count: present.count + uploaded.count)
        if !failures.isEmpty {
            throw RespaldoError.failed("\(failures.count) upload\(failures.count == 1 ? "" : "s") to \(remote.location) failed: \(failures.joined(separator: ", "))")
        }
        return uploaded
    }
}
