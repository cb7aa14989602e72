import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the alerts of one job remember between processes, so that a failing job does not
/// alert at every run and its first success after a failure says "recovered". Kept in
/// `<state_dir>/alerts/<job>.json` (0600) and changed under a lock, because the daemon and an
/// operator's `respaldo backup` report to the same history.
///
/// The rule (README, "Alerts"): failures are tracked per job and *stream* — the kind, plus the
/// location for uploads and verifies (an upload to `geo` failing is another stream than one
/// to `vault`). A failure is alerted when its stream was healthy, when its error differs
/// from the last one alerted (numbers aside: ids and times change at every run), or when the
/// last alert of the stream is `window` (one hour) old; in between, repeats are counted and the
/// next alert says how many were held back. The first success of a failing stream is a
/// "recovered" event.
public struct AlertHistory: Codable, Sendable, Equatable {
    public static let formatName = "respaldo-alert-history/1"
    /// At most one alert per stream and error in this many seconds.
    public static let window: TimeInterval = 3600

    /// One failing stream.
    public struct Streak: Codable, Sendable, Equatable {
        /// The notified status of the failures (`failure`, `upload_failure`, …).
        public var status: String
        /// The last alerted error's first line, its digits masked.
        public var signature: String
        public var failingSince: Date
        public var failures: Int
        public var lastSentAt: Date
        /// Failures not alerted since `lastSentAt`.
        public var held: Int

        enum CodingKeys: String, CodingKey {
            case status, signature, failures, held
            case failingSince = "failing_since"
            case lastSentAt = "last_sent_at"
        }
    }

    public var format = AlertHistory.formatName
    public var job: String
    public var streams: [String: Streak] = [:]

    public init(job: String) { self.job = job }

    /// The stream an event belongs to.
    static func stream(of event: AlertEvent) -> String {
        switch event.kind {
        case .upload, .verify: "\(event.kind.rawValue):\(event.location ?? "")"
        case .backup, .prune, .drill: event.kind.rawValue
        }
    }

    /// What to send for `event` at `now`, updating the history: the event (as a recovery when
    /// its stream was failing, with `failingSince` and `repeated` filled in), or nil when the
    /// rate limit holds it back.
    public mutating func admit(_ event: AlertEvent, now: Date) -> Admitted? {
        let key = Self.stream(of: event)
        var event = event
        guard event.isFailure else {
            guard let streak = streams.removeValue(forKey: key) else { return Admitted(event: event) }
            event.event = .recovered
            event.failingSince = streak.failingSince
            return Admitted(event: event, recovers: AlertStatus(rawValue: streak.status))
        }
        let signature = Self.signature(event.error)
        guard var streak = streams[key] else {
            streams[key] = Streak(status: event.status.rawValue, signature: signature, failingSince: event.startedAt,
                                  failures: 1, lastSentAt: now, held: 0)
            event.failingSince = event.startedAt
            return Admitted(event: event)
        }
        streak.failures += 1
        event.failingSince = streak.failingSince
        if streak.signature == signature, now.timeIntervalSince(streak.lastSentAt) < Self.window, now >= streak.lastSentAt {
            streak.held += 1
            streams[key] = streak
            return nil
        }
        event.repeated = streak.held
        streak.held = 0
        streak.lastSentAt = now
        streak.signature = signature
        streak.status = event.status.rawValue
        streams[key] = streak
        return Admitted(event: event)
    }

    /// An event the history lets through.
    public struct Admitted: Sendable, Equatable {
        public var event: AlertEvent
        /// For a recovery: the status its failures were notified under (`on` decides by it).
        public var recovers: AlertStatus?
    }

    /// The first line of an error with every run of digits masked: "backup crm-20261121T…
    /// failed" and the next night's same failure compare equal.
    static func signature(_ error: String?) -> String {
        var out = ""
        var inDigits = false
        for character in AlertEvent.firstLine(error ?? "") {
            if character.isASCII && character.isNumber {
                if !inDigits { out.append("#") }
                inDigits = true
            } else {
                out.append(character)
                inDigits = false
            }
        }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case format, job, streams
    }

    // MARK: - Persistence

    static func path(stateDir: String, job: String) -> String { StateDirectory(root: stateDir).alertHistory(job: job) }

    /// Loads the job's history, lets `change` update it, and saves it, under an exclusive lock
    /// on `alerts/.<job>.lock`. A damaged file starts a fresh history (the worst outcome is
    /// one alert too many, never one too few).
    public static func update<T>(stateDir: String, job: String, _ change: (inout AlertHistory) -> T) throws -> T {
        try RunState.checkJobName(job)
        let folder = StateDirectory(root: stateDir).alerts
        do {
            try makePrivateDirectory(folder)
        } catch {
            throw StateFileError.folder(path: folder, reason: "\(error)")
        }
        return try withExclusiveLock(folder + "/.\(job).lock") {
            let path = path(stateDir: stateDir, job: job)
            var history = (try? loadFile(path)).flatMap { $0.format == formatName && $0.job == job ? $0 : nil } ?? AlertHistory(job: job)
            let result = change(&history)
            try history.save(to: path)
            return result
        }
    }

    private func save(to path: String) throws {
        let bytes = try stateFileJSON(self)
        do {
            try writeFileAtomically(bytes, to: path, temporary: "\(path).\(getpid()).partial", mode: 0o600)
        } catch {
            throw StateFileError.io(operation: error.operation, path: error.path, errno: error.errno)
        }
    }

    static func load(stateDir: String, job: String) throws -> AlertHistory? {
        try loadFile(path(stateDir: stateDir, job: job))
    }

    private static func loadFile(_ path: String) throws -> AlertHistory? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try RunState.decoder().decode(AlertHistory.self, from: data)
    }
}
