import Foundation
import Logging
import Storage

/// Everything a job works with that is not its own logic: the configuration, the local store
/// and the remotes, `state_dir`, the clock, the cancellation that stops it, the logger and the
/// audit trail. Built once at the edge — the command line or the daemon — and handed to every
/// job, so no job constructs a store, a path under `state_dir` or a clock of its own, and a
/// test can run any job against `MemoryStore` remotes with a clock it moves by hand.
public struct Environment: Sendable {
    public let config: Config
    /// The local backup folder (`local_dir`). It is a `LocalStore` on purpose: uploads send
    /// its files by path, so that an interrupted upload resumes where it stopped.
    public let local: LocalStore
    public let state: StateDirectory
    public let clock: RunClock
    /// Stops whatever the job is doing: SIGINT/SIGTERM for a command, the daemon's token for
    /// its runs. A job adds its `timeout` on a child of it.
    public let cancellation: CancellationToken
    public let logger: Logger
    public let audit: AuditTrail
    private let openRemote: @Sendable (RemoteConfig) throws -> any CancellableStore

    public init(
        config: Config, local: LocalStore, state: StateDirectory, clock: RunClock, cancellation: CancellationToken,
        logger: Logger, actor: AuditActor, openRemote: @escaping @Sendable (RemoteConfig) throws -> any CancellableStore
    ) {
        self.config = config
        self.local = local
        self.state = state
        self.clock = clock
        self.cancellation = cancellation
        self.logger = logger
        self.audit = AuditTrail(log: state.audit(as: actor), logger: logger, now: clock.now)
        self.openRemote = openRemote
    }

    /// The environment of a process: the configured folders, the system clock, SFTP and S3
    /// remotes behind their retry wrappers, and SIGINT/SIGTERM (or the daemon's token).
    public static func live(
        config: Config, logger: Logger, actor: AuditActor = .currentUser(), cancellation: CancellationToken = Interruption.token,
        clock: RunClock = .system
    ) -> Environment {
        Environment(
            config: config, local: LocalStore(root: config.localDir), state: StateDirectory(root: config.stateDir),
            clock: clock, cancellation: cancellation, logger: logger, actor: actor,
            openRemote: { try RemoteStores(config: config, logger: logger).store(for: $0) })
    }

    /// The same environment, stopped by `token` instead (a daemon task's own token).
    public func with(cancellation token: CancellationToken) -> Environment {
        Environment(config: config, local: local, state: state, clock: clock, cancellation: token,
                    logger: logger, actor: audit.log.actor, openRemote: openRemote)
    }

    /// The remote called `name`, opened anew (each caller gets its own connection).
    public func remote(named name: String) throws -> any CancellableStore {
        guard let remote = config.remote(named: name) else {
            throw RespaldoError.usage("no remote named \"\(name)\" in \(config.path)")
        }
        return try openRemote(remote)
    }

    /// The remotes `job` uploads to, in its configured order.
    public func remotes(for job: JobConfig) throws -> [any CancellableStore] {
        try job.remotes.map { try remote(named: $0) }
    }

    /// Whether `store` is the local backup folder (and not a remote).
    public func isLocal(_ store: any Store) -> Bool { store === local }

    /// How messages name a store: the local folder by its path, a remote by its name.
    public func describe(_ store: any Store) -> String { isLocal(store) ? local.root : store.location }
}

/// The time a job reads and the deadlines it sets. Tests inject both and move them by hand.
public struct RunClock: Sendable {
    public var now: @Sendable () -> Date
    public var deadlines: any DeadlineClock

    public init(now: @escaping @Sendable () -> Date, deadlines: any DeadlineClock) {
        self.now = now
        self.deadlines = deadlines
    }

    public static let system = RunClock(now: { Date() }, deadlines: DispatchDeadlineClock())
}

/// The audit log of this process's actor (the daemon, or the user who ran the command).
public struct AuditTrail: Sendable {
    public let log: AuditLog
    let logger: Logger
    let now: @Sendable () -> Date

    /// Records `action` on `job` as ok, or as failed with `error`; never throws (AuditLog.record).
    public func record(
        _ action: AuditAction, job: String, snapshot: String? = nil, target: String? = nil, error: (any Error)? = nil
    ) {
        record(AuditEvent(action: action, job: job, snapshot: snapshot, target: target,
                          result: error == nil ? .ok : .failed, error: error.map { "\($0)" }))
    }

    public func record(_ event: AuditEvent) {
        log.record(event, at: now(), logger: logger)
    }
}
