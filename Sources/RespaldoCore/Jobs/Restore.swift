import Age
import Foundation
import Logging
import Storage

/// `respaldo restore`: writes a snapshot's original dump bytes. To a file, they go to a
/// temporary name that is renamed only after every check passed.
public struct RestoreJob {
    public enum Destination {
        case file(String)
        case standardOutput
    }

    public let env: Environment
    var logger: Logger { env.logger }
    public var showProgress = false
    /// Where the identities came from, for the message when they cannot open the snapshot.
    public var identityFile: String?

    public init(env: Environment) {
        self.env = env
    }

    /// Restores, and records the restore (or its failure) in the audit log.
    public func run(_ snapshot: Snapshot, from store: any Store, identities: [any Identity], to destination: Destination) throws {
        let target = switch destination {
        case let .file(path): path
        case .standardOutput: "stdout"
        }
        do {
            try restore(snapshot, from: store, identities: identities, to: destination)
            env.audit.record(.restore, job: snapshot.manifest.job, snapshot: snapshot.id, target: target)
        } catch {
            env.audit.record(.restore, job: snapshot.manifest.job, snapshot: snapshot.id, target: target, error: error)
            throw error
        }
    }

    private func restore(_ snapshot: Snapshot, from store: any Store, identities: [any Identity], to destination: Destination) throws {
        let reader = SnapshotReader(store: store, snapshot: snapshot, identities: identities, cancellation: env.cancellation)
        guard reader.canDecode else {
            throw RespaldoError.usage("snapshot \(snapshot.id) is encrypted (\(snapshot.manifest.artifact.encryption)): give --identity FILE")
        }
        try IdentityMatch.check(identities, for: snapshot.manifest, identityFile: identityFile)
        let meter = showProgress ? ProgressMeter(label: "restore \(snapshot.id) from \(store.location)", total: snapshot.manifest.artifact.bytes) : nil
        defer { meter?.stop() }
        do {
            switch destination {
            case let .file(path):
                guard !FileManager.default.fileExists(atPath: path) else {
                    throw RespaldoError.usage("restore: \(path) already exists; choose another --output")
                }
                let url = URL(fileURLWithPath: path)
                let folder = LocalStore(root: url.deletingLastPathComponent().path)
                try reader.run(decode: true, meter: meter) { next in
                    try withoutActuallyEscaping(next) { next in
                        try folder.put(url.lastPathComponent, expectedSize: snapshot.manifest.plain.bytes, reader: ChunkReader(next).fill)
                    }
                }
            case .standardOutput:
                try reader.run(decode: true, meter: meter) { next in
                    while let chunk = try next() {
                        do {
                            try writeAll(STDOUT_FILENO, chunk)
                        } catch {
                            throw RespaldoError.failed("writing to standard output: \(error)")
                        }
                    }
                }
            }
        } catch let error as RespaldoError {
            throw error
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "restore", object: "\(snapshot.id) from \(store.location)", cause: error))
        }
        logger.info("restore \(snapshot.id) (\(store.location)): \(formatBytes(snapshot.manifest.plain.bytes)) written, all checks passed")
    }
}
