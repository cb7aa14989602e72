import Foundation

/// `state_dir`, and the one place that knows its layout. Everything respaldo keeps between
/// runs lives under it; no other code assembles a path below it, so the layout can be read
/// (and changed) here alone:
///
/// ```
/// audit.log                        AuditLog: one JSON line per operation
/// daemon.json                      DaemonRecord: the daemon's heartbeat and running tasks
/// locks/<job>.lock                 JobLock (flock); a drill locks "<job>.drill"
/// pending/<remote>/<id>            PendingUploads: copies a remote still lacks
/// runs/<job>.json                  RunState: last runs, uploads, verifies, drills
/// run/<job>.active.json            RunActivity: the run in progress (its dump's process group)
/// run/<job>/                       a backup's private files (pgpass, my.cnf), removed after it
/// run/check-<job>-<pid>/           check-config's dump probe
/// counts/<job>.json                SnapshotCounts: snapshots per location, for status
/// remotes/<remote>/<job>.json      RemoteCopies: what each remote holds, for list offline
/// alerts/<job>.json                AlertHistory: the rate limit and recoveries
/// trust/seen/<location>/<job>      TrustPolicy: the highest inventory sequence seen
/// trust/inventory-<job>.seq        InventoryPublisher: the last sequence published
/// drill/                           the drill's private scratch folders
/// ```
public struct StateDirectory: Sendable, Equatable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var auditLog: String { root + "/" + AuditLog.fileName }
    public var daemonRecord: String { root + "/daemon.json" }

    public var locks: String { root + "/locks" }
    public func lockFile(_ name: String) -> String { "\(locks)/\(name).lock" }

    public func pendingFolder(remote: String) -> String { "\(root)/pending/\(remote)" }

    public var runStates: String { root + "/runs" }
    public func runState(job: String) -> String { "\(runStates)/\(job).json" }

    public var runs: String { root + "/run" }
    public func activity(job: String) -> String { "\(runs)/\(job).active.json" }
    public func runDirectory(job: String) -> String { "\(runs)/\(job)" }
    public func probeDirectory(job: String, pid: Int32) -> String { "\(runs)/check-\(job)-\(pid)" }

    public var counts: String { root + "/counts" }
    public func counts(job: String) -> String { "\(counts)/\(job).json" }

    public var remoteCopies: String { root + "/remotes" }
    public func remoteCopies(remote: String) -> String { "\(remoteCopies)/\(remote)" }
    public func remoteCopies(remote: String, job: String) -> String { "\(remoteCopies(remote: remote))/\(job).json" }

    public var alerts: String { root + "/alerts" }
    public func alertHistory(job: String) -> String { "\(alerts)/\(job).json" }

    public var trust: String { root + "/trust" }
    public func seenInventory(location: String, job: String) -> String { "\(trust)/seen/\(location)/\(job)" }
    public func inventoryCounter(job: String) -> String { "\(trust)/inventory-\(job).seq" }

    public var drills: String { root + "/drill" }

    // MARK: - What lives there

    public var pending: PendingUploads { PendingUploads(state: self) }

    /// Takes the job's lock without waiting (`RespaldoError.locked` when it is held).
    public func lock(job: String) throws -> JobLock { try JobLock.acquire(state: self, name: job) }

    /// The lock a drill of `job` holds: a drill and a backup of the same job may run at once.
    public func drillLock(job: String) throws -> JobLock { try JobLock.acquire(state: self, name: "\(job).drill") }

    public func audit(as actor: AuditActor) -> AuditLog { AuditLog(state: self, actor: actor) }
}
