import Foundation

/// What happened to a job, as `[notify] on` names it.
public enum AlertStatus: String, Sendable, Equatable, CaseIterable {
    case success
    case failure
    /// The local snapshot is complete but did not reach every remote.
    case uploadFailure = "upload_failure"
    /// A stored snapshot failed its check.
    case verifyFailure = "verify_failure"

    /// How a sentence says it: "succeeded", "failed", ...
    var phrase: String {
        switch self {
        case .success: "succeeded"
        case .failure: "failed"
        case .uploadFailure: "could not upload"
        case .verifyFailure: "failed verification"
        }
    }
}

/// One notified outcome of a job's run. Encoded as the webhook's JSON object:
/// `{"job", "status", "snapshot", "error", "host", "started_at", "finished_at", "text"}`
/// (`snapshot` and `error` are null when absent; times are RFC 3339 UTC; `text` is a one-line
/// summary, which chat webhooks such as Slack's and Mattermost's display as is).
public struct AlertEvent: Sendable, Equatable, Encodable {
    /// Longest error text sent; a longer one is cut (a dump tool's stderr can be long).
    static let maxErrorLength = 8192

    public var job: String
    public var status: AlertStatus
    public var snapshot: String?
    public var error: String?
    public var host: String
    public var startedAt: Date
    public var finishedAt: Date

    public init(
        job: String, status: AlertStatus, snapshot: String? = nil, error: String? = nil,
        host: String? = nil, startedAt: Date, finishedAt: Date = Date()
    ) {
        self.job = job
        self.status = status
        self.snapshot = snapshot
        self.error = error.map(Self.bounded)
        self.host = host ?? hostName()
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// "backup of job crm failed on db1: <error>".
    public var summary: String {
        var text = "respaldo: backup of job \(job) \(status.phrase) on \(host)"
        if let snapshot { text += " (snapshot \(snapshot))" }
        if let error { text += ": " + (error.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "") }
        return text
    }

    enum CodingKeys: String, CodingKey {
        case job, status, snapshot, error, host, text
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job, forKey: .job)
        try container.encode(status.rawValue, forKey: .status)
        try container.encode(snapshot, forKey: .snapshot)  // null, not absent: a stable schema
        try container.encode(error, forKey: .error)
        try container.encode(host, forKey: .host)
        try container.encode(rfc3339(startedAt), forKey: .startedAt)
        try container.encode(rfc3339(finishedAt), forKey: .finishedAt)
        try container.encode(summary, forKey: .text)
    }

    /// The webhook body.
    func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and a fixed set of keys cannot fail.
        return (try? Array(encoder.encode(self))) ?? Array("{}".utf8)
    }

    private static func bounded(_ text: String) -> String {
        guard text.utf8.count > maxErrorLength else { return text }
        let cut = String(decoding: text.utf8.prefix(maxErrorLength), as: UTF8.self)
        return cut + " [… \(text.utf8.count - maxErrorLength) more bytes cut]"
    }
}

extension AlertEvent {
    /// The event for a `BackupJob.run` that returned: success, or upload_failure when some
    /// remote did not get the snapshot (or prune failed there).
    public static func backup(
        job: String, manifest: Manifest, problems: [any Error], startedAt: Date, finishedAt: Date = Date()
    ) -> AlertEvent {
        AlertEvent(
            job: job, status: problems.isEmpty ? .success : .uploadFailure, snapshot: manifest.id,
            error: problems.isEmpty ? nil : problems.map { "\($0)" }.joined(separator: "\n"),
            host: manifest.host, startedAt: startedAt, finishedAt: finishedAt)
    }

    /// The event for a `BackupJob.run` that threw: no snapshot was made.
    public static func backup(job: String, error: any Error, startedAt: Date, finishedAt: Date = Date()) -> AlertEvent {
        AlertEvent(job: job, status: .failure, error: "\(error)", startedAt: startedAt, finishedAt: finishedAt)
    }
}
