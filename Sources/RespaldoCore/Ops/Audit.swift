import Foundation
import Logging

/// The process's audit trail: who this process acts for (set once at start: the daemon, or
/// the user who ran the command) and one call to record an operation in `<state_dir>/audit.log`.
public enum Audit {
    nonisolated(unsafe) public static var actor: AuditActor = .currentUser()

    static func record(_ config: Config, _ event: AuditEvent, logger: Logger) {
        AuditLog(stateDir: config.stateDir, actor: actor).record(event, logger: logger)
    }

    /// Records `action` on `job` as ok, or as failed with `error`.
    public static func record(
        _ config: Config, _ action: AuditAction, job: String, snapshot: String? = nil, target: String? = nil,
        error: (any Error)? = nil, logger: Logger
    ) {
        record(config, AuditEvent(
            action: action, job: job, snapshot: snapshot, target: target,
            result: error == nil ? .ok : .failed, error: error.map { "\($0)" }), logger: logger)
    }
}
