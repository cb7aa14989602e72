import Age
import Foundation
import Logging
import Storage

/// The outcome of verifying one snapshot (`respaldo verify --json` prints these).
public struct VerifyReport: Codable, Sendable {
    public var id: String
    public var location: String
    public var ok: Bool
    /// True when the plain data was decrypted, decompressed and checked too.
    public var deep: Bool
    public var problems: [String]

    public init(id: String, location: String, ok: Bool, deep: Bool, problems: [String]) {
        self.id = id
        self.location = location
        self.ok = ok
        self.deep = deep
        self.problems = problems
    }
}

public struct VerifyJob {
    public let env: Environment
    var logger: Logger { env.logger }
    public var showProgress = false
    /// Where the identities came from, for the message when they cannot open a snapshot.
    public var identityFile: String?

    public init(env: Environment) {
        self.env = env
    }

    /// Checks one snapshot and records the result in the audit log; never throws: every
    /// problem goes into the report.
    public func verify(_ snapshot: Snapshot, in store: any Store, identities: [any Identity]) -> VerifyReport {
        let report = check(snapshot, in: store, identities: identities)
        env.audit.record(.verify, job: snapshot.manifest.job, snapshot: snapshot.id, target: store.location,
                         error: report.ok ? nil : RespaldoError.failed(report.problems.joined(separator: "; ")))
        return report
    }

    private func check(_ snapshot: Snapshot, in store: any Store, identities: [any Identity]) -> VerifyReport {
        let reader = SnapshotReader(store: store, snapshot: snapshot, identities: identities, cancellation: env.cancellation)
        let deep = reader.canDecode
        let meter = showProgress ? ProgressMeter(label: "verify \(snapshot.id) in \(store.location)", total: snapshot.manifest.artifact.bytes) : nil
        var problems: [String] = []
        do {
            if deep { try IdentityMatch.check(identities, for: snapshot.manifest, identityFile: identityFile) }
            try reader.run(decode: deep, meter: meter) { next in while try next() != nil {} }
        } catch {
            // Decoding stages run ahead of the artifact's checksum, so a damaged artifact often
            // shows first as a gzip or age error. Name the root cause when there is one.
            if deep, !(error is IntegrityError), let artifactProblem = artifactProblem(reader) {
                problems.append(artifactProblem)
            }
            problems.append("\(error)")
        }
        meter?.stop()
        let report = VerifyReport(id: snapshot.id, location: store.location, ok: problems.isEmpty, deep: deep, problems: problems)
        // The report is the outcome, which the caller prints: logged here only for debugging.
        logger.debug("verify \(snapshot.id) (\(store.location)): \(report.ok ? "ok" : problems.joined(separator: "; "))")
        return report
    }

    /// The artifact-only check's problem, or nil when the stored bytes match the manifest.
    private func artifactProblem(_ reader: SnapshotReader) -> String? {
        do {
            try reader.run(decode: false, meter: nil) { next in while try next() != nil {} }
            return nil
        } catch {
            return "\(error)"
        }
    }
}
