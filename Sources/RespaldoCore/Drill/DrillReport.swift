import Foundation
import Storage

/// One check of a drill and its outcome.
public struct DrillCheck: Codable, Sendable, Equatable {
    /// "restore" (the load itself), "rows" (a table's count against the manifest), "sql"
    /// (a configured query), "path" (a configured or job path in a scratch folder).
    public var kind: String
    /// What was checked: a table, a query, a path.
    public var name: String
    public var ok: Bool
    public var detail: String

    public init(kind: String, name: String, ok: Bool, detail: String) {
        self.kind = kind
        self.name = name
        self.ok = ok
        self.detail = detail
    }
}

/// Seconds per phase. Decryption and decompression stream into the restore, so
/// `decryptDecompress` is the time those stages were busy, inside `restore`'s wall time.
public struct DrillPhases: Codable, Sendable, Equatable {
    /// Reading the artifact from its store and checking its size and SHA-256 (and, for an
    /// encrypted one, that the identity opens it), before anything is created.
    public var fetchVerify: Double = 0
    public var decryptDecompress: Double = 0
    /// Creating the scratch target and loading the dump into it, until the loader committed.
    public var restore: Double = 0
    public var checks: Double = 0
    /// From the start of the fetch to the end of the checks: the measured recovery time.
    public var total: Double = 0
    /// Removing the scratch target (not part of the recovery time).
    public var cleanup: Double = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case fetchVerify = "fetch_verify_seconds"
        case decryptDecompress = "decrypt_decompress_seconds"
        case restore = "restore_seconds"
        case checks = "checks_seconds"
        case total = "total_seconds"
        case cleanup = "cleanup_seconds"
    }
}

/// The outcome of one drill: what `respaldo drill --report` writes, and what the daemon, the
/// audit log and the metrics read.
public struct DrillReport: Codable, Sendable {
    public var snapshot: String
    public var job: String
    /// The store it came from: "local" or a remote's name.
    public var location: String
    /// The source kind ("postgres", "mysql", "files", "command") and the scratch target used.
    public var source: String
    public var target: String
    /// True when the restore and every check passed and the scratch target was removed.
    public var ok: Bool
    public var startedAt: String
    public var finishedAt: String
    /// When the dump finished, and how old that was when the drill began: the recovery point.
    public var snapshotFinishedAt: String
    public var recoveryPointAgeSeconds: Double
    public var artifactBytes: Int64
    public var plainBytes: Int64
    public var phases: DrillPhases
    /// What the automatic checks compared, or why there were none.
    public var automaticChecks: String
    public var checks: [DrillCheck]
    /// The failure that stopped the drill before its checks ended, if one did.
    public var error: String?
    public var scratchRemoved: Bool

    enum CodingKeys: String, CodingKey {
        case snapshot, job, location, source, target, ok, phases, checks, error
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case snapshotFinishedAt = "snapshot_finished_at"
        case recoveryPointAgeSeconds = "recovery_point_age_seconds"
        case artifactBytes = "artifact_bytes"
        case plainBytes = "plain_bytes"
        case automaticChecks = "automatic_checks"
        case scratchRemoved = "scratch_removed"
    }

    /// The failed checks and the error, for one-line messages.
    public var problems: [String] {
        (error.map { [$0] } ?? []) + checks.filter { !$0.ok }.map { "\($0.kind) \($0.name): \($0.detail)" }
    }

    /// The human summary `respaldo drill` prints.
    public var summary: String {
        func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
        var lines = [
            "drill \(snapshot) (\(location)) -> \(target): \(ok ? "PASSED" : "FAILED")",
            "  recovery point: dump finished \(snapshotFinishedAt), \(describeAge(recoveryPointAgeSeconds)) before the drill",
            "  size:           \(formatBytes(artifactBytes)) stored, \(formatBytes(plainBytes)) dump",
            "  fetch+verify    \(seconds(phases.fetchVerify))",
            "  decrypt+gunzip  \(seconds(phases.decryptDecompress)) (busy, overlapping the restore)",
            "  restore         \(seconds(phases.restore))",
            "  checks          \(seconds(phases.checks))",
            "  total           \(seconds(phases.total)) (recovery time); cleanup \(seconds(phases.cleanup))",
            "  automatic checks: \(automaticChecks)",
        ]
        for check in checks {
            lines.append("  \(check.ok ? "ok  " : "FAIL") \(check.kind) \(check.name): \(check.detail)")
        }
        if let error { lines.append("  error: \(error)") }
        if !scratchRemoved { lines.append("  WARNING: the scratch target was not removed: \(target)") }
        return lines.joined(separator: "\n")
    }
}

/// "3 d 4 h", "2 h 5 min", "42 s".
public func describeAge(_ seconds: Double) -> String {
    let total = Int(max(0, seconds))
    let days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60
    if days > 0 { return "\(days) d \(hours) h" }
    if hours > 0 { return "\(hours) h \(minutes) min" }
    if minutes > 0 { return "\(minutes) min \(total % 60) s" }
    return "\(total) s"
}

extension DrillReport {
    /// Writes `reports` as JSON to `path` (0600, atomically: a reader never sees half a
    /// report): one object for one drill, an array for several.
    public static func write(_ reports: [DrillReport], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = reports.count == 1 ? try encoder.encode(reports[0]) : try encoder.encode(reports)
        let url = URL(fileURLWithPath: path)
        do {
            try makePrivateDirectory(url.deletingLastPathComponent().path)
            // A name of its own (the process and a random number): the report may go to a
            // shared folder such as /tmp, where a fixed temporary name could be planted first.
            let temporary = "\(url.path).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
            try writeFileAtomically(Array(data) + [10], to: url.path, temporary: temporary, mode: 0o600)
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "write", object: "the drill report \(path)", cause: error) { "cannot write the drill report \(path): \($0)" })
        }
    }
}
