import Age
import Foundation
import Logging
import Storage

/// `respaldo drill`: proves that a snapshot restores. Takes the newest complete snapshot (or
/// the one named) from the local folder or a remote, fetches it checking its size and SHA-256
/// (to a private spool file when it comes from a remote, so that a corrupted copy fails before
/// anything is created), then streams it through age and gunzip, checking the dump's SHA-256,
/// into a scratch target, runs the automatic and configured checks, times each phase, and
/// removes the scratch target and the spool whatever happened, SIGINT and SIGTERM included.
public struct DrillJob {
    public let env: Environment
    public let job: JobConfig
    var config: Config { env.config }
    var logger: Logger { env.logger }
    public var showProgress = false

    /// `env.cancellation` stops the drill: its loaders are terminated and its scratch removed.
    public init(env: Environment, jobName: String) throws {
        self.env = env
        self.job = try env.config.requiredJob(named: jobName)
    }

    /// Runs one drill. Throws only when it cannot start (no such snapshot, an encrypted one
    /// and no identity, another drill of the job running); every later failure is in the
    /// report, whose `ok` is the verdict. `identityFile` defaults to `[jobs.drill] identity_file`.
    public func run(remote: String? = nil, snapshotID: String? = nil, identityFile: String? = nil) throws -> DrillReport {
        let lock = try env.state.drillLock(job: job.name)
        defer { withExtendedLifetime(lock) {} }
        let repository = try Repository.open(env, remote: remote)
        let snapshot = try pick(repository, snapshotID)
        let identities = try Keys.identities(identityFile: identityFile ?? job.drill?.identityFile, config: config)
        guard !snapshot.manifest.isEncrypted || !identities.isEmpty else {
            throw RespaldoError.usage("snapshot \(snapshot.id) is encrypted (\(snapshot.manifest.artifact.encryption)): give --identity FILE or set [jobs.drill] identity_file")
        }
        try IdentityMatch.check(identities, for: snapshot.manifest, identityFile: identityFile ?? job.drill?.identityFile)

        let started = env.clock.now()
        let scratchName = ScratchName.make(job: job.name, time: started)
        let workDirectory = try makeWorkDirectory(scratchName)
        let runner = ToolRunner(logger: logger)
        let target: any DrillTarget
        do {
            target = try DrillTargets.make(job: job, scratchName: scratchName, workDirectory: workDirectory, runner: runner)
        } catch {
            try? removeTree(workDirectory)
            throw error
        }
        let stop = env.cancellation.onCancel { reason in
            if case let .signal(signal) = reason { runner.interrupt(signal) } else { runner.interrupt(SIGTERM) }
        }
        defer { stop.remove() }

        let manifest = snapshot.manifest
        var report = DrillReport(
            snapshot: snapshot.id, job: job.name, location: repository.store.location, source: job.source.kind,
            target: target.description, ok: false, startedAt: rfc3339(started), finishedAt: "", snapshotFinishedAt: manifest.finishedAt,
            recoveryPointAgeSeconds: parseRFC3339(manifest.finishedAt).map { milliseconds(started.timeIntervalSince($0)) } ?? -1,
            artifactBytes: manifest.artifact.bytes, plainBytes: manifest.plain.bytes, phases: DrillPhases(),
            automaticChecks: "not run", checks: [], error: nil, scratchRemoved: false)
        logger.info("drill \(snapshot.id) from \(repository.store.location) started")

        var created = false
        var phaseStart = Date()
        do {
            let made = target
            let leftovers = made.leftovers()
            if !leftovers.isEmpty {
                logger.warning("drill \(job.name): scratch targets left by earlier drills that were killed: \(leftovers.joined(separator: ", ")); drop them by hand")
            }

            // What would fail the restore fails now, before gigabytes are fetched. Cleanup
            // drops the scratch target should the check be cut short.
            created = true
            try made.preflight(manifest)
            created = false
            let source = try fetch(snapshot, from: repository.store, into: workDirectory, identities: identities)
            report.phases.fetchVerify = elapsed(since: phaseStart)
            try runner.checkInterrupted()

            phaseStart = Date()
            created = true
            try made.create()
            var reader = SnapshotReader(store: source, snapshot: snapshot, identities: identities, cancellation: env.cancellation)
            let clock = BusyClock()
            reader.busyClock = clock
            let meter = showProgress ? ProgressMeter(label: "drill \(snapshot.id): restore", total: manifest.artifact.bytes) : nil
            defer { meter?.stop() }
            do {
                let phases = LoadPhases(job: job, meter: meter)
                try reader.run(decode: true, meter: meter) { next in
                    try withoutActuallyEscaping(next) { next in try made.load(from: phases.watching(next)) }
                }
            } catch {
                report.phases.decryptDecompress = milliseconds(clock.seconds)
                report.checks.append(DrillCheck(kind: "restore", name: made.description, ok: false, detail: "\(error)"))
                throw error
            }
            report.phases.decryptDecompress = milliseconds(clock.seconds)
            report.phases.restore = elapsed(since: phaseStart)
            report.checks.append(DrillCheck(kind: "restore", name: made.description, ok: true,
                                            detail: String(format: "%@ loaded, dump SHA-256 checked, %.1f s", formatBytes(manifest.plain.bytes), report.phases.restore)))

            phaseStart = Date()
            let automatic = try made.automaticChecks(recorded: try Catalog.rowCounts(of: snapshot, in: repository.store))
            report.automaticChecks = automatic.summary
            report.checks += automatic.checks
            for check in job.drill?.checks ?? [] {
                report.checks.append(try made.configuredCheck(check))
            }
            report.phases.checks = elapsed(since: phaseStart)
        } catch {
            report.error = "\(error)"
            if report.phases.fetchVerify == 0 { report.phases.fetchVerify = elapsed(since: phaseStart) }
        }
        report.phases.total = elapsed(since: started)

        phaseStart = Date()
        report.scratchRemoved = cleanUp(target: created ? target : nil, workDirectory: workDirectory, report: &report)
        report.phases.cleanup = elapsed(since: phaseStart)
        report.finishedAt = rfc3339(env.clock.now())
        report.ok = report.error == nil && report.checks.allSatisfy(\.ok) && report.scratchRemoved
        // The report says what failed and whoever ran the drill shows it: not logged here too.
        logger.info("drill \(snapshot.id) \(report.ok ? "passed" : "failed"): \(report.checks.count) checks, recovery time \(String(format: "%.1f", report.phases.total)) s")
        return report
    }

    private func pick(_ repository: Repository, _ snapshotID: String?) throws -> Snapshot {
        if let snapshotID {
            let snapshot = try repository.snapshot(id: snapshotID)
            guard snapshot.manifest.job == job.name else {
                throw RespaldoError.usage("snapshot \(snapshotID) belongs to job \(snapshot.manifest.job), not \(job.name)")
            }
            return snapshot
        }
        guard let newest = try repository.snapshots(job: job.name).last else {
            throw RespaldoError.failed("no complete snapshot of job \(job.name) in \(repository.store.location)")
        }
        return newest
    }

    /// `<state_dir>/drill/<scratch name>`, private. Work folders of this job that a killed
    /// drill left go first: the drill lock says none of them is in use.
    private func makeWorkDirectory(_ scratchName: String) throws -> String {
        let root = env.state.drills
        try makePrivateDirectory(root)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where ScratchName.isScratch(name, ofJob: job.name) {
            logger.warning("removing \(root)/\(name), left by an earlier drill that was killed")
            try? removeTree(root + "/" + name)
        }
        let path = root + "/" + scratchName
        try makePrivateDirectory(path)
        return path
    }

    /// Phase one: reads the whole artifact, checking its size and SHA-256 (and that the
    /// identities open an encrypted one), and returns the store to restore from: the local
    /// folder itself, or the private spool a remote copy was fetched into.
    private func fetch(_ snapshot: Snapshot, from store: any Store, into workDirectory: String, identities: [any Identity]) throws -> any Store {
        let reader = SnapshotReader(store: store, snapshot: snapshot, identities: identities, cancellation: env.cancellation)
        let probe = snapshot.manifest.isEncrypted ? IdentityProbe(identities: identities) : nil
        let meter = showProgress ? ProgressMeter(label: "drill \(snapshot.id): fetch from \(store.location)", total: snapshot.manifest.artifact.bytes) : nil
        defer { meter?.stop() }
        var result: any Store = store
        do {
            if env.isLocal(store) {
                try reader.run(decode: false, meter: meter) { next in
                    while let chunk = try next() { probe?.feed(chunk) }
                }
            } else {
                let spool = LocalStore(root: workDirectory)
                try checkFreeSpace(for: snapshot.manifest.artifact.bytes, in: workDirectory)
                let path = spool.path(of: snapshot.artifactPath)
                try makePrivateDirectory((path as NSString).deletingLastPathComponent)
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
                guard fd >= 0 else { throw DrillError.io(operation: "creating spool file", path: path, errno) }
                defer { close(fd) }
                try reader.run(decode: false, meter: meter) { next in
                    while let chunk = try next() {
                        probe?.feed(chunk)
                        // No point fetching gigabytes for identities that open nothing: stop at
                        // the header. (Other failures wait for the checksum, which names damage.)
                        if let failure = probe?.failure, case AgeError.noMatch? = failure as? AgeError {
                            throw ProbeFailed(underlying: failure)
                        }
                        do throws(WriteFailure) {
                            try writeAll(fd, chunk)
                        } catch {
                            throw DrillError.io(operation: "writing spool file", path: path, error.errno)
                        }
                    }
                }
                result = spool
            }
        } catch let error as Interrupted {
            throw error
        } catch let error as ProbeFailed {
            throw RespaldoError.operationFailed(.init(operation: "decrypt", object: "snapshot \(snapshot.id)", cause: error.underlying) { [id = snapshot.id] in
                "snapshot \(id) cannot be decrypted with the identities given (or its artifact is damaged); fetch stopped at the age header: \($0)"
            })
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "fetch+verify", object: "\(store.location):\(snapshot.artifactPath)", cause: error))
        }
        if let failure = probe?.failure {
            throw RespaldoError.operationFailed(.init(operation: "decrypt", object: "snapshot \(snapshot.id)", cause: failure) { [id = snapshot.id] in
                "snapshot \(id) cannot be decrypted with the identities given: \($0)"
            })
        }
        logger.info("drill \(snapshot.id): artifact fetched and its SHA-256 checked")
        return result
    }

    /// Refuses to spool an artifact the work folder's file system cannot hold (with 64 MiB to
    /// spare), before fetching a byte of it.
    private func checkFreeSpace(for bytes: Int64, in directory: String) throws {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return }
        let (product, overflow) = Int64(clamping: info.f_bavail).multipliedReportingOverflow(by: Int64(clamping: info.f_frsize))
        let free = overflow ? Int64.max : product
        let needed = bytes > Int64.max - (64 << 20) ? Int64.max : bytes + (64 << 20)
        guard free >= needed else {
            throw RespaldoError.failed("drill: \(directory) has \(formatBytes(free)) free, the artifact needs \(formatBytes(bytes)) (plus 64 MiB): not fetched")
        }
    }

    /// Drops the scratch target (when one was created) and removes the work folder; true when
    /// nothing is left. A failure here fails the drill: it must leave nothing behind.
    private func cleanUp(target: (any DrillTarget)?, workDirectory: String, report: inout DrillReport) -> Bool {
        var problems: [String] = []
        if let target {
            do { try target.drop() } catch { problems.append("\(error)") }
        }
        do { try removeTree(workDirectory) } catch { problems.append("\(error)") }
        guard problems.isEmpty else {
            let message = "cleanup failed: " + problems.joined(separator: "; ")
            report.error = report.error.map { "\($0); \(message)" } ?? message
            return false
        }
        return true
    }
}

private struct ProbeFailed: Error {
    var underlying: any Error
}

/// Seconds since `start`, to the millisecond (finer is noise in a report).
private func elapsed(since start: Date) -> Double {
    milliseconds(Date().timeIntervalSince(start))
}

private func milliseconds(_ seconds: Double) -> Double {
    (seconds * 1000).rounded() / 1000
}
