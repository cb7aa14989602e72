import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why an audit line could not be appended.
public enum AuditLogError: Error, CustomStringConvertible, Equatable {
    case folder(path: String, reason: String)
    case io(operation: String, path: String, errno: Int32)
    /// The kernel took only part of the line (a full disk): the log may hold a torn line.
    case shortWrite(path: String, written: Int, expected: Int)

    public var description: String {
        switch self {
        case let .folder(_, reason): "cannot write the audit log: \(reason)"
        case let .io(operation, path, code): "cannot \(operation) audit log \(path): \(String(cString: strerror(code)))"
        case let .shortWrite(path, written, expected):
            "cannot append to audit log \(path): only \(written) of \(expected) bytes were written"
        }
    }
}

/// What an audited operation did.
public enum AuditAction: String, Codable, Sendable, CaseIterable {
    case backup, upload, verify, restore, drill
    case pruneDelete = "prune-delete"
}

public enum AuditResult: String, Codable, Sendable {
    case ok, failed
}

/// Who started an operation. `actor` is the person (or "daemon"); `runAs` is the account the
/// process really runs under, which SUDO_USER cannot fake.
public struct AuditActor: Codable, Sendable, Equatable {
    public var actor: String
    public var runAs: String

    public init(actor: String, runAs: String) {
        self.actor = actor
        self.runAs = runAs
    }

    /// The scheduler acting on its own.
    public static func daemon(uid: uid_t = getuid()) -> AuditActor {
        AuditActor(actor: "daemon", runAs: account(uid: uid, name: userName(uid)))
    }

    /// The person running a command: SUDO_USER/SUDO_UID when sudo started us (whether to root
    /// or, as the README advises, to the respaldo user), else the real user.
    public static func currentUser(
        environment: [String: String] = ProcessInfo.processInfo.environment, uid: uid_t = getuid()
    ) -> AuditActor {
        let runAs = account(uid: uid, name: userName(uid))
        if let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty {
            let sudoUID = environment["SUDO_UID"].flatMap { uid_t($0) }
            return AuditActor(actor: "user:" + account(uid: sudoUID, name: sudoUser), runAs: runAs)
        }
        return AuditActor(actor: "user:" + runAs, runAs: runAs)
    }

    static func account(uid: uid_t?, name: String?) -> String {
        let uidText = uid.map(String.init) ?? "?"
        return "\(name ?? "?")(uid \(uidText))"
    }

    static func userName(_ uid: uid_t) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return nil
        }
        return String(cString: name)
    }
}

/// One audited operation.
public struct AuditEvent: Sendable, Equatable {
    public var action: AuditAction
    public var job: String
    public var snapshot: String?
    /// Where it happened: "local" or a remote's name; a restore's output file.
    public var target: String?
    public var result: AuditResult
    /// Why it failed; error messages here name files and operations, never secret contents.
    public var error: String?

    public init(
        action: AuditAction, job: String, snapshot: String? = nil, target: String? = nil,
        result: AuditResult, error: String? = nil
    ) {
        self.action = action
        self.job = job
        self.snapshot = snapshot
        self.target = target
        self.result = result
        self.error = error
    }
}

/// Append-only JSON lines in `<state_dir>/audit.log`: every backup, upload, prune deletion,
/// verify, restore and drill, with who started it, when, what, and the result.
///
/// Each line is one write(2) on a descriptor opened O_APPEND: Linux appends it whole under the
/// inode lock, so lines from the daemon and a concurrent CLI command never interleave.
public struct AuditLog: Sendable {
    public static let fileName = "audit.log"
    /// Keeps a line well inside one write even with a long error message.
    static let maxErrorLength = 2000

    public let path: String
    public let actor: AuditActor
    private let host: String

    public init(stateDir: String, actor: AuditActor) {
        self.init(state: StateDirectory(root: stateDir), actor: actor)
    }

    public init(state: StateDirectory, actor: AuditActor) {
        self.path = state.auditLog
        self.actor = actor
        self.host = hostName()
    }

    /// Appends the event and logs, rather than throws, a failure to do so.
    ///
    /// Not fatal by design: the audit log records operations, it is not one of them. Failing a
    /// backup because its audit line could not be written (the state folder full, an audit.log
    /// left owned by root) would turn a bookkeeping problem into a missing backup; the error
    /// is logged, so it still reaches the journal.
    public func record(_ event: AuditEvent, at time: Date = Date(), logger: Logger) {
        do {
            try append(event, at: time)
        } catch {
            logger.error("\(error)", metadata: ["action": "\(event.action.rawValue)", "job": "\(event.job)"])
        }
    }

    /// Appends the event, or throws.
    public func append(_ event: AuditEvent, at time: Date = Date()) throws {
        let bytes = try line(event, at: time)
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try makePrivateDirectory(folder)
        } catch {
            throw AuditLogError.folder(path: folder, reason: "\(error)")
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw AuditLogError.io(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var written: Int
        repeat {
            written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        } while written < 0 && errno == EINTR
        // Never retry the rest: a second write could land after another process's line.
        guard written >= 0 else { throw AuditLogError.io(operation: "append to", path: path, errno: errno) }
        guard written == bytes.count else { throw AuditLogError.shortWrite(path: path, written: written, expected: bytes.count) }
        guard fsync(fd) == 0 else { throw AuditLogError.io(operation: "fsync", path: path, errno: errno) }
    }

    /// The JSON line for `event`, newline included.
    func line(_ event: AuditEvent, at time: Date) throws -> [UInt8] {
        let entry = Entry(
            time: rfc3339(time), actor: actor.actor, runAs: actor.runAs, host: host, pid: Int(getpid()),
            action: event.action, job: event.job, snapshot: event.snapshot, target: event.target,
            result: event.result, error: event.error.map { String($0.prefix(Self.maxErrorLength)) })
        let encoder = JSONEncoder()
        // Sorted keys keep lines comparable; JSON escapes newlines, so one event is one line.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(entry)) + [10]
    }

    private struct Entry: Encodable {
        var time: String
        var actor: String
        var runAs: String
        var host: String
        var pid: Int
        var action: AuditAction
        var job: String
        var snapshot: String?
        var target: String?
        var result: AuditResult
        var error: String?

        enum CodingKeys: String, CodingKey {
            case time, actor, host, pid, action, job, snapshot, target, result, error
            case runAs = "run_as"
        }
    }
}
