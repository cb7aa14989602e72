import Foundation
import Gzip
import Logging
import Storage

/// `respaldo backup`: dump -> SHA-256 -> gzip -> age -> SHA-256 -> `.partial` file -> fsync ->
/// rename -> manifest. The snapshot exists only once its manifest does; on any failure the
/// temporary files go and every older snapshot stays as it was.
public struct BackupJob {
    public let env: Environment
    public let job: JobConfig
    var config: Config { env.config }
    var logger: Logger { env.logger }
    public var showProgress = false
    /// `backup --accept-shrink`: this run's dump may be smaller than `max_shrink` allows (data
    /// was deleted on purpose); a warning says so. `min_bytes` still holds.
    public var acceptShrink = false
    /// Called once the job's lock is held, before the dump starts (the healthchecks start ping:
    /// a run that finds the job locked never started).
    public var onStart: (() -> Void)?

    /// The run stops when `env.cancellation` does (SIGINT/SIGTERM, or the daemon's token), and
    /// at the job's `timeout`, measured on `env.clock`.
    public init(env: Environment, jobName: String) throws {
        self.env = env
        self.job = try env.config.requiredJob(named: jobName)
    }

    /// The whole run under the job's lock: the local snapshot, its upload to each of the job's
    /// remotes (unless `upload` is false: then it is left pending), and retention, which runs
    /// only when the snapshot reached every remote. Returns the new snapshot's manifest, or
    /// throws; a snapshot that is safe locally but failed to upload is reported through
    /// `uploadFailures`.
    ///
    /// Past the job's `timeout`, or on SIGINT/SIGTERM, the run is cancelled: the dump's process
    /// group is stopped, the temporary files go, and it throws (a local snapshot already
    /// complete stays, its copies pending). What a previous run that died left behind (its
    /// secret files, what its dump started) is removed first.
    public func run(upload: Bool = true) throws -> (manifest: Manifest, uploadFailures: [RespaldoError]) {
        let run = try runReporting(upload: upload)
        return (run.manifest, run.failures)
    }

    /// `run(upload:)`, saying what became of each remote copy and each prune, successes too
    /// (the run records and alerts keep the state of every remote).
    public func runReporting(upload: Bool = true) throws -> BackupRun {
        let lock = try env.state.lock(job: job.name)
        defer { withExtendedLifetime(lock) {} }
        let token = CancellationToken(parent: env.cancellation, timeout: job.timeout.seconds, clock: env.clock.deadlines)
        defer { token.detach() }
        StaleRun.cleanUp(stateDir: env.state.root, job: job.name, logger: logger)
        var activity = RunActivity.current(job: job.name)
        recordActivity(activity)
        defer { RunActivity.remove(stateDir: env.state.root, job: job.name) }
        onStart?()
        let remotes = try env.remotes(for: job)
        let streaming = upload && job.uploadMode == .streaming
        let streamed: Set<String>
        let manifest: Manifest
        do {
            (manifest, streamed) = try snapshot(pendingFor: remotes.map(\.location), streamTo: streaming ? remotes : [],
                                                checkIDsOn: upload ? remotes : [], cancellation: token) { dump in
                activity.dumpGroup = dump
                activity.dumpStartTicks = ProcFS.startTicks(dump)
                recordActivity(activity)
            }
            env.audit.record(.backup, job: job.name, snapshot: manifest.id, target: "local")
        } catch {
            env.audit.record(.backup, job: job.name, target: "local", error: error)
            throw error
        }
        // From here the snapshot is complete locally; a cancellation stops the remote copies
        // (they stay pending) and what follows them.
        let stopRemotes = token.onCancel { _ in remotes.forEach { $0.cancel() } }
        defer { stopRemotes.remove() }
        let snapshot = Snapshot(manifest: manifest, location: "local")
        var result = BackupRun(manifest: manifest)
        if let signer = try config.signing.map(ManifestSigner.load) {
            do {
                try InventoryPublisher(env: env, signer: signer).publish(job: job.name, at: env.local)
            } catch {
                result.steps.append(.init(kind: .backup, location: "local", error: .operationFailed(.init(operation: "signed inventory", object: "\(job.name) in local", cause: error))))
            }
        }
        var uploader = UploadJob(env: env.with(cancellation: token))
        uploader.showProgress = showProgress
        var localCopyChecked = false
        for remote in remotes {
            do {
                if streamed.contains(remote.location) {
                    try uploader.publishStreamed(snapshot, to: remote)
                } else if upload {
                    try uploader.upload(snapshot, to: remote, localCopyChecked: localCopyChecked)
                    localCopyChecked = true
                } else {
                    try env.state.pending.mark(manifest.id, remote: remote.location)
                    continue
                }
                result.steps.append(.init(kind: .upload, location: remote.location))
            } catch {
                // The local snapshot is complete: a failed copy is reported, never thrown.
                result.steps.append(.init(kind: .upload, location: remote.location,
                                          error: error as? RespaldoError ?? .operationFailed(.init(operation: "upload", object: "\(manifest.id) to \(remote.location)", cause: error))))
            }
        }
        if let reason = token.reason { throw cancelled(reason, after: result) }
        guard result.failures.isEmpty && (upload || remotes.isEmpty) else {
            if !remotes.isEmpty {
                logger.warning("job \(job.name): retention skipped until every remote has \(manifest.id)")
            }
            return result
        }
        // The new snapshot is safe everywhere; a failing prune is reported, never fatal to it.
        let prune = PruneJob(env: env)
        for store in [env.local as any Store] + remotes {
            if let skipped = prune.skipReason(store.location) {
                logger.info("prune of \(job.name) at \(store.location) skipped: \(skipped)")
                continue
            }
            do {
                // A remote `.partial` that a pending upload will resume is not stale.
                let resumable = env.isLocal(store) ? [] : Set(env.state.pending.ids(remote: store.location, job: job.name))
                _ = try prune.run(job: job, store: store, dryRun: false, resumable: resumable)
                result.steps.append(.init(kind: .prune, location: store.location))
            } catch {
                result.steps.append(.init(kind: .prune, location: store.location, error: .operationFailed(.init(operation: "prune", object: "\(job.name) in \(store.location)", cause: error))))
            }
        }
        if let reason = token.reason { throw cancelled(reason, after: result) }
        return result
    }

    /// The error of a run cancelled once its local snapshot was complete.
    private func cancelled(_ reason: CancellationReason, after run: BackupRun) -> RespaldoError {
        let failures = run.failures.isEmpty ? "" : " (\(run.failures.map(\.description).joined(separator: "; ")))"
        return .failed("job \(job.name) \(reason): snapshot \(run.manifest.id) is complete locally, but the run was cancelled before its copies and retention were done\(failures); `respaldo upload` sends what is pending")
    }

    private func recordActivity(_ activity: RunActivity) {
        do {
            try activity.save(stateDir: env.state.root)
        } catch {
            logger.warning("job \(job.name): the run is not on record for `status`: \(error)")
        }
    }

    /// A snapshot id no file of this job uses yet, here or on a remote. Runs here are
    /// serialized by the job lock; another host with the same job name and remote folder is
    /// not, so the remotes are asked too (one that cannot be reached is left to its upload,
    /// which never replaces a final name). Taken ids move on to the next second.
    func freshID(in store: any Store, remotes: [any Store]) throws -> SnapshotID {
        for _ in 0..<120 {
            let id = SnapshotID(job: job.name, time: env.clock.now())
            var free = try !Catalog.idIsTaken(id, in: store)
            for remote in remotes where free {
                // One attempt, no retry delays: a remote that is down must not hold the dump.
                let once = remote.singleAttempt
                free = !((try? Catalog.idIsTaken(id, in: once)) ?? false)
                if !free { logger.warning("snapshot id \(id) is already used on \(remote.location) (another host?); taking the next second") }
            }
            if free { return id }
            let fraction = env.clock.now().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
            Thread.sleep(forTimeInterval: 1 - fraction + 0.001)
        }
        throw RespaldoError.failed("no free snapshot id for job \(job.name) in 120 s: every second is taken here or on a remote")
    }

    func writeSecret(_ secret: DumpCommand.SecretFile) throws {
        // A fresh file only: a name planted in advance (a symlink to elsewhere) is refused.
        unlink(secret.path)
        do {
            try createPrivateFile(Array(secret.contents.utf8), at: secret.path)
        } catch {
            throw RespaldoError.failed("cannot \(error.operation) \(secret.path): \(String(cString: strerror(error.errno)))")
        }
    }
}

/// The job's dump sanity rules (`min_bytes`, `max_shrink`, `sanity`).
struct DumpSanity {
    let job: JobConfig
    /// The previous snapshot's id and dump size.
    let previous: (id: String, bytes: Int64)?
    let acceptShrink: Bool
    let logger: Logger

    func check(bytes: Int64, tool: String) throws {
        guard bytes > 0 else { throw SourceError.empty(tool: tool) }
        var problems: [SourceError] = []
        if bytes < job.minBytes { problems.append(.tooSmall(job: job.name, bytes: bytes, minimum: job.minBytes)) }
        if let maxShrink = job.maxShrink, let previous, Double(bytes) < Double(previous.bytes) * maxShrink {
            let shrank = SourceError.shrank(job: job.name, bytes: bytes, previous: previous.bytes, previousID: previous.id, maxShrink: maxShrink)
            if acceptShrink {
                logger.warning("job \(job.name): the dump is \(formatBytes(bytes)), the previous \(formatBytes(previous.bytes)): accepted (--accept-shrink)")
            } else {
                problems.append(shrank)
            }
        }
        guard let first = problems.first else { return }
        if job.sanity == .warn {
            problems.forEach { logger.warning("\($0) (sanity = \"warn\": kept)") }
        } else {
            throw first
        }
    }
}

/// Adapts a pipeline's chunk stream to a Store's pull-style reader.
final class ChunkReader {
    private let next: () throws -> [UInt8]?
    private var chunk: [UInt8] = []
    private var offset = 0

    init(_ next: @escaping () throws -> [UInt8]?) {
        self.next = next
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while offset == chunk.count {
            guard let fresh = try next() else { return 0 }
            chunk = fresh
            offset = 0
        }
        let count = min(buffer.count, chunk.count - offset)
        chunk.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
        }
        offset += count
        return count
    }
}

func hostName() -> String {
    ProcessInfo.processInfo.hostName
}

/// The byte counter a HashTap reports to, when progress is shown.
func progressCallback(_ meter: ProgressMeter?) -> (@Sendable (Int) -> Void)? {
    guard let meter else { return nil }
    return { meter.add($0) }
}
