import Foundation

/// What happened to a job, as `[notify] on` names it.
public enum AlertStatus: String, Sendable, Equatable, CaseIterable {
    case success
    case failure
    /// The local snapshot is complete but did not reach a remote.
    case uploadFailure = "upload_failure"
    /// A stored snapshot failed its check (`verify`) or its restore drill.
    case verifyFailure = "verify_failure"

    /// The status a failure of `kind` is notified under.
    public static func failure(of kind: OperationKind) -> AlertStatus {
        switch kind {
        case .backup, .prune: .failure
        case .upload: .uploadFailure
        case .verify, .drill: .verifyFailure
        }
    }
}

/// Whether this event starts, repeats or ends a run of failures.
public enum AlertEventType: String, Sendable, Equatable {
    case success
    case failure
    /// The first success of a job and kind after one or more failures.
    case recovered
}

/// One notified outcome of an operation. Encoded as the webhook's JSON object, format
/// `respaldo-alert/1` (README, "Alerts"): the fields of earlier versions (`job`, `status`,
/// `snapshot`, `error`, `host`, `started_at`, `finished_at`, `text`) plus `format`, `kind`,
/// `event`, `location`, `failing_since` and `repeated`. Optional fields are null, never
/// absent: a stable schema. Times are RFC 3339 UTC; `text` is one line, which chat webhooks
/// (Slack, Mattermost) display as is.
public struct AlertEvent: Sendable, Equatable, Encodable {
    public static let formatName = "respaldo-alert/1"
    /// Longest error text sent; a longer one is cut (a dump tool's stderr can be long).
    static let maxErrorLength = 8192

    public var kind: OperationKind
    public var event: AlertEventType
    public var job: String
    public var status: AlertStatus
    /// "local" or a remote's name, where the operation happened; nil for a backup or prune run.
    public var location: String?
    public var snapshot: String?
    public var error: String?
    public var host: String
    public var startedAt: Date
    public var finishedAt: Date
    /// When the current run of failures began (failure and recovered events).
    public var failingSince: Date?
    /// Failures like this one that the rate limit kept from being sent since the last alert.
    public var repeated: Int = 0
    /// The text of a message that reports no operation (`check-config --notify`'s test), in
    /// place of the summary of one.
    var fixedText: String?

    public init(
        kind: OperationKind = .backup, event: AlertEventType? = nil, job: String, status: AlertStatus,
        location: String? = nil, snapshot: String? = nil, error: String? = nil, host: String? = nil,
        startedAt: Date, finishedAt: Date = Date()
    ) {
        self.kind = kind
        self.event = event ?? (status == .success ? .success : .failure)
        self.job = job
        self.status = status
        self.location = location
        self.snapshot = snapshot
        self.error = error.map(Self.bounded)
        self.host = host ?? hostName()
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    /// The event for an operation that succeeded (`error` nil) or failed.
    public static func outcome(
        _ kind: OperationKind, job: String, location: String? = nil, snapshot: String? = nil, error: String?,
        startedAt: Date, finishedAt: Date = Date()
    ) -> AlertEvent {
        AlertEvent(
            kind: kind, job: job, status: error == nil ? .success : .failure(of: kind), location: location,
            snapshot: snapshot, error: error, startedAt: startedAt, finishedAt: finishedAt)
    }

    public var isFailure: Bool { event == .failure }

    /// How logs name it: "drill failure of job crm".
    var what: String { "\(kind.rawValue) \(event.rawValue) of job \(job)" }

    /// One line: "respaldo: drill of job crm passed on db1 (snapshot crm-…)",
    /// "respaldo: upload of job crm to geo failed on db1 (snapshot crm-…): <first error line>".
    public var summary: String {
        if let fixedText { return fixedText }
        var text = "respaldo: \(kind.rawValue) of job \(job)\(place) \(verb) on \(host)"
        var notes: [String] = []
        if let snapshot { notes.append("snapshot \(snapshot)") }
        if event == .recovered, let failingSince { notes.append("failing since \(rfc3339(failingSince))") }
        if event == .failure, repeated > 0 {
            notes.append("\(repeated) more like it not alerted since \(failingSince.map(rfc3339) ?? "the last alert")")
        }
        if !notes.isEmpty { text += " (" + notes.joined(separator: "; ") + ")" }
        if let error, event == .failure { text += ": " + Self.firstLine(error) }
        return text
    }

    private var verb: String {
        switch event {
        case .success: kind.passed
        case .failure: "failed"
        case .recovered: "recovered"
        }
    }

    private var place: String {
        guard let location else { return "" }
        switch kind {
        case .upload: return " to \(location)"
        case .prune: return " in \(location)"
        case .verify, .drill: return " (\(location))"
        case .backup: return ""
        }
    }

    static func firstLine(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
    }

    enum CodingKeys: String, CodingKey {
        case format, kind, event, job, status, location, snapshot, error, host, text, repeated
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case failingSince = "failing_since"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatName, forKey: .format)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encode(event.rawValue, forKey: .event)
        try container.encode(job, forKey: .job)
        try container.encode(status.rawValue, forKey: .status)
        try container.encode(location, forKey: .location)
        try container.encode(snapshot, forKey: .snapshot)  // null, not absent: a stable schema
        try container.encode(error, forKey: .error)
        try container.encode(host, forKey: .host)
        try container.encode(rfc3339(startedAt), forKey: .startedAt)
        try container.encode(rfc3339(finishedAt), forKey: .finishedAt)
        try container.encode(failingSince.map(rfc3339), forKey: .failingSince)
        try container.encode(repeated, forKey: .repeated)
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
    /// The event for a `BackupJob.run` that threw: no snapshot was made.
    public static func backup(job: String, error: any Error, startedAt: Date, finishedAt: Date = Date()) -> AlertEvent {
        AlertEvent(kind: .backup, job: job, status: .failure, error: "\(error)", startedAt: startedAt, finishedAt: finishedAt)
    }
}
