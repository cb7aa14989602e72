import Foundation

/// `<job>-<UTC YYYYMMDDTHHMMSSZ>`: sorts by time within a job and names its job.
public struct SnapshotID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let job: String
    /// Whole seconds, UTC.
    public let time: Date

    public init(job: String, time: Date) {
        self.job = job
        self.time = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
    }

    public init?(_ string: String) {
        let stampLength = 16
        guard string.count > stampLength + 1 else { return nil }
        let stamp = String(string.suffix(stampLength))
        let prefix = string.dropLast(stampLength)
        guard prefix.hasSuffix("-"), let time = Self.formatter().date(from: stamp) else { return nil }
        let job = String(prefix.dropLast())
        guard !job.isEmpty else { return nil }
        self.init(job: job, time: time)
    }

    public var description: String { "\(job)-\(Self.formatter().string(from: time))" }

    public static func < (a: SnapshotID, b: SnapshotID) -> Bool {
        (a.job, a.time) < (b.job, b.time)
    }

    /// A fresh formatter per call: DateFormatter is not safe to share across threads.
    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }
}

/// RFC 3339 in UTC with second precision, as manifests and JSON output use.
public func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}

public func parseRFC3339(_ string: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    if let date = formatter.date(from: string) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: string)
}
