import Foundation
import Gzip
import Logging
import Storage

extension BackupJob {
    /// Makes the local snapshot (the caller holds the job's lock). With `streamTo`, the artifact
    /// is also streamed to those remotes as it is written (`upload = "streaming"`); the result's
    /// `streamed` lists the remotes whose artifact is in place (their manifests are the
    /// caller's). Every remote in `pendingFor` is marked pending before the dump starts, so a
    /// crash after the local commit can never lose the fact that a copy is owed.
    /// `cancellation` stops the dump, its row count session and the pipeline; `dumpStarted`
    /// receives the dump's pid (its process group) once it runs.
    ///
    /// Until the manifest is in place, any failure takes back everything this run wrote
    /// (`SnapshotWrite.discard`): the snapshot exists completely or not at all.
    func snapshot(pendingFor remoteNames: [String], streamTo remotes: [any CancellableStore] = [], checkIDsOn: [any Store] = [],
                  cancellation: CancellationToken, dumpStarted: (pid_t) -> Void = { _ in }) throws -> (manifest: Manifest, streamed: Set<String>) {
        let store = env.local
        // Keys first: a missing or unreadable key must fail before anything is dumped.
        let encryption = try Keys.encryption(config.encryption)
        let signer = try config.signing.map(ManifestSigner.load)
        let previous = try Catalog.snapshots(in: store, job: job.name).last
        let chain = ChainHead.find(in: store, job: job.name)
        let id = try freshID(in: store, remotes: checkIDsOn)
        let write = SnapshotWrite(
            files: SnapshotFiles(id: id, sourceKind: job.source.kind, encrypted: encryption != nil),
            local: store, remotes: remotes, pendingFor: remoteNames, pending: env.state.pending)

        let runDirectory = env.state.runDirectory(job: job.name)
        try makePrivateDirectory(runDirectory)
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let command = try DumpCommand.make(for: job.source, runDirectory: runDirectory)
        for secret in command.secretFiles { try writeSecret(secret) }

        // The id's second is the start: started_at and the id never disagree.
        let started = id.time
        logger.info("backup \(id) started: \(command.toolName)")
        // Row counts for the drill, from the snapshot the dump reads (Drill/RowCountCapture.swift).
        let counting = RowCounts.begin(for: job.source, command: command, cancellation: cancellation, logger: logger)
        defer { counting?.abandon() }
        try cancellation.throwIfCancelled()
        let argv = counting?.dumpArgv(command.argv) ?? command.argv
        let child = try ChildProcess.start(argv: argv, environment: dumpEnvironment(adding: command.environment), priority: job.priority,
                                           cancellation: cancellation, killsGroupOnExit: true, logger: logger)
        dumpStarted(child.pid)
        counting?.dumpStarted(pid: child.pid)
        let stderr = StderrCollector(fd: child.stderrFD, tool: command.toolName, logger: logger)
        defer {
            child.terminate()
            child.wait()
        }
        // The previous dump's size makes a fair estimate of this one's: percent and time left.
        let meter = showProgress
            ? ProgressMeter(label: "backup \(id): \(command.toolName)", total: previous.map { .estimate($0.manifest.plain.bytes) })
            : nil
        defer { meter?.stop() }

        let plain = HashTap(onBytes: progressCallback(meter))
        let artifact = HashTap()
        var stages: [any ChunkTransform] = [plain, try CodecStage.gzip(level: job.compressionLevel, threads: job.compressionThreads ?? ParallelGzipCompressor.defaultThreads)]
        if let encryption { stages.append(try CodecStage.encrypt(to: encryption.recipients)) }
        stages.append(artifact)
        let sanity = DumpSanity(job: job, previous: previous.map { ($0.id, $0.manifest.plain.bytes) }, acceptShrink: acceptShrink, logger: logger)

        try write.markPending()
        let stream = remotes.isEmpty ? nil : StreamingUpload(remotes: remotes, name: write.files.artifact, logger: logger)
        // A failing stage stops the remote lanes too: a consumer blocked on a slow remote's
        // full queue must not keep the failure (or SIGTERM) waiting.
        let pipeline = Pipeline(cancellation: cancellation, onFailure: { child.terminate(); stream?.abort() })
        do {
            try pipeline.run(
                source: { emit in
                    var total: Int64 = 0
                    while true {
                        // Stops waiting once the pipeline failed: a process outside the dump's
                        // group may hold its stdout open, so the end of input may never come.
                        let chunk = try readChunk(from: child.stdoutFD, tool: command.toolName, until: { pipeline.hasFailed })
                        if chunk.isEmpty { break }
                        total += Int64(chunk.count)
                        try emit(chunk)
                    }
                    // The end of the stream is passed on only once the dump is known good:
                    // until then nothing downstream can publish the artifact.
                    let termination = child.wait()
                    if case let .exited(code) = termination, command.tolerableExitCodes.contains(code) {
                        stderr.release()
                        if code != 0 { logger.warning("\(command.toolName) exited \(code); the dump is complete but some input changed while it was read") }
                    } else {
                        throw SourceError.failed(tool: command.toolName, termination: termination.description, stderrTail: stderr.finalTail())
                    }
                    try sanity.check(bytes: total, tool: command.toolName)
                },
                transforms: stages,
                consumer: { next in
                    try withoutActuallyEscaping(next) { next in
                        try store.put(write.files.artifact, expectedSize: nil, reader: ChunkReader {
                            let chunk = try next()
                            if let chunk { stream?.send(chunk) } else { stream?.finish() }
                            return chunk
                        }.fill)
                    }
                }
            )
            // The meter's last line goes before the log lines that follow, never after them.
            meter?.stop()
            stream.map { write.streamed(failures: $0.wait()) }
            let tables = counting?.finish()
            try cancellation.throwIfCancelled()
            let manifest = Manifest(
                format: Manifest.formatName, id: id.description, job: job.name, host: hostName(),
                source: .init(kind: job.source.kind, argv: argv),
                startedAt: rfc3339(started), finishedAt: rfc3339(env.clock.now()),
                plain: .init(bytes: plain.byteCount, sha256: plain.hexDigest),
                artifact: .init(
                    name: write.files.artifactName, bytes: artifact.byteCount, sha256: artifact.hexDigest,
                    compression: "gzip", level: job.compressionLevel,
                    encryption: encryption?.scheme ?? "none",
                    recipientFingerprints: (encryption?.recipientNames ?? []).map(RecipientFingerprint.of)),
                sequence: (chain?.sequence ?? 0) + 1,
                previous: chain.map { Manifest.Previous(id: $0.id, manifestSHA256: $0.manifestSHA256) },
                respaldoVersion: respaldoVersion,
                tables: tables)
            try write.commit(manifest, signer: signer)
            let seconds = env.clock.now().timeIntervalSince(started)
            logger.info("backup \(id) complete: \(formatBytes(plain.byteCount)) dumped, \(formatBytes(artifact.byteCount)) stored, \(String(format: "%.1f", seconds)) s")
            return (manifest, write.streamedTo)
        } catch {
            if let stream, !write.laneResultsKnown { stream.abort(); write.streamed(failures: stream.wait()) }
            write.discard()
            // Whatever stage noticed it first, a cancelled run says why it was cancelled.
            if let reason = cancellation.reason { throw RespaldoError.failed("backup \(id) failed: job \(job.name) \(reason)") }
            if write.committing {
                throw RespaldoError.operationFailed(.init(operation: "write the manifest", object: "backup of job \(job.name)", cause: error) {
                    [job = job.name] in "backup of job \(job) failed writing the manifest: \($0)"
                })
            }
            throw RespaldoError.operationFailed(.init(operation: "backup", object: id.description, cause: error) { [id = id.description] in "backup \(id) failed: \($0)" })
        }
    }
}

/// What one backup run has written so far, and the one way to take it all back: until the
/// manifest is in place the snapshot does not exist, so a failure at any step removes the local
/// artifact, the artifacts streamed to remotes, the signature and the pending markers.
final class SnapshotWrite {
    let files: SnapshotFiles
    private let local: any Store
    private let remotes: [any CancellableStore]
    private let pendingFor: [String]
    private let pending: PendingUploads
    /// The remotes whose streamed artifact is in place.
    private(set) var streamedTo: Set<String> = []
    private(set) var laneResultsKnown = false
    /// The manifest (or its signature) is being written: a failure now is the manifest's.
    private(set) var committing = false

    init(files: SnapshotFiles, local: any Store, remotes: [any CancellableStore], pendingFor: [String], pending: PendingUploads) {
        self.files = files
        self.local = local
        self.remotes = remotes
        self.pendingFor = pendingFor
        self.pending = pending
    }

    func markPending() throws {
        for name in pendingFor { try pending.mark(files.id, remote: name) }
    }

    /// The streaming lanes have ended; `failures` are those whose copy is not in place.
    func streamed(failures: [String: any Error]) {
        laneResultsKnown = true
        streamedTo = Set(remotes.map(\.location).filter { failures[$0] == nil })
    }

    /// The signature goes first: a manifest is never visible without it.
    func commit(_ manifest: Manifest, signer: ManifestSigner?) throws {
        committing = true
        let bytes = try manifest.encoded()
        if let signer { try local.put(files.signature, bytes: try signer.sign(bytes, namespace: SignatureNamespace.manifest)) }
        try local.put(files.manifest, bytes: bytes)
    }

    /// Takes back everything this run wrote. A lane may have published just before the local
    /// copy failed: every remote that has the artifact loses it again.
    func discard() {
        try? local.delete(files.signature)
        try? local.delete(files.artifact)
        for remote in remotes where !laneResultsKnown || streamedTo.contains(remote.location) { try? remote.delete(files.artifact) }
        for name in pendingFor { pending.clear(files.id, remote: name) }
    }
}
