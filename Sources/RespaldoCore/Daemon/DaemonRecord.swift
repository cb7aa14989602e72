import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `<state_dir>/daemon.json`: which process is the daemon, since when, and when its scheduling
/// loop last went round (the heartbeat). `status` and the metrics read it to say whether the
/// daemon is alive without asking systemd, which a monitoring check may not be allowed to.
public struct DaemonRecord: Codable, Sendable, Equatable {
    public static let formatName = "respaldo-daemon/1"
    /// How often the loop refreshes the heartbeat.
    public static let heartbeatInterval: TimeInterval = 60
    /// A heartbeat older than this (five missed) means the loop is stuck though its process lives.
    public static let heartbeatLimit: TimeInterval = 300

    public var format = DaemonRecord.formatName
    public var pid: Int32
    public var startedAt: Date
    public var heartbeatAt: Date
    /// Set by a graceful stop (SIGTERM); nil while it runs or when it was killed.
    public var stoppedAt: Date?
    public var version: String

    public init(pid: Int32 = getpid(), startedAt: Date, heartbeatAt: Date? = nil, stoppedAt: Date? = nil, version: String = respaldoVersion) {
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt ?? startedAt
        self.stoppedAt = stoppedAt
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case format, pid, version
        case startedAt = "started_at"
        case heartbeatAt = "heartbeat_at"
        case stoppedAt = "stopped_at"
    }

    public static func path(stateDir: String) -> String { StateDirectory(root: stateDir).daemonRecord }

    /// Replaces the record (0600, atomically: a reader sees the old one or the new one).
    public func write(stateDir: String) throws {
        let path = Self.path(stateDir: stateDir)
        do {
            try makePrivateDirectory(stateDir)
            try writeFileAtomically(try stateFileJSON(self), to: path, temporary: "\(path).\(getpid()).partial", mode: 0o600)
        } catch let error as FileWriteFailure {
            throw StateFileError.io(operation: error.operation, path: error.path, errno: error.errno)
        }
    }

    /// The record, or nil when there is none; throws when it exists but cannot be used.
    public static func load(stateDir: String) throws -> DaemonRecord? {
        let path = path(stateDir: stateDir)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StateFileError.io(operation: "read", path: path, errno: EACCES)
        }
        let record = try RunState.decoder().decode(DaemonRecord.self, from: data)
        guard record.format == formatName else {
            throw RespaldoError.failed("\(path): format \"\(record.format)\", expected \(formatName)")
        }
        return record
    }
}

/// Whether the daemon runs, judged from its record, its process and its heartbeat.
public enum DaemonLiveness: String, Sendable, Equatable {
    case running
    /// Its process lives but the loop has not beaten for `DaemonRecord.heartbeatLimit`.
    case notResponding = "not_responding"
    /// Stopped (gracefully, or killed: its pid is gone or is another program now).
    case stopped
    /// No record: no daemon has run with this state_dir.
    case neverStarted = "never_started"

    /// `isDaemon(pid)` says whether that pid is a live `respaldo daemon` (injected by tests).
    public static func of(_ record: DaemonRecord?, now: Date, isDaemon: (Int32) -> Bool = DaemonLiveness.isRespaldoDaemon) -> DaemonLiveness {
        guard let record else { return .neverStarted }
        guard record.stoppedAt == nil, isDaemon(record.pid) else { return .stopped }
        return now.timeIntervalSince(record.heartbeatAt) > DaemonRecord.heartbeatLimit ? .notResponding : .running
    }

    /// True when `pid` is alive and its command line is `…/respaldo … daemon …`: a pid reused
    /// by another program after the daemon died does not count.
    public static func isRespaldoDaemon(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM,
              let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let argv = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard let program = argv.first else { return false }
        return (program as NSString).lastPathComponent.hasPrefix("respaldo") && argv.dropFirst().contains("daemon")
    }
}
