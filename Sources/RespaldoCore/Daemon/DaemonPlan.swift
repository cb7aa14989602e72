import Foundation

/// Something the daemon runs on a schedule: a job's backup, or its drill (on a DR host).
public struct DaemonTask: Hashable, Sendable, CustomStringConvertible, Comparable {
    public enum Kind: String, Sendable, Comparable {
        case backup, drill
        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    public var job: String
    public var kind: Kind

    public init(job: String, kind: Kind) {
        self.job = job
        self.kind = kind
    }

    public var description: String { kind == .backup ? job : "\(job) (drill)" }

    public static func < (a: DaemonTask, b: DaemonTask) -> Bool { (a.job, a.kind) < (b.job, b.kind) }
}

/// When each scheduled task fires next. Pure: every decision takes `now`, so it is tested
/// with any clock (DaemonPlanTests), and the daemon only sleeps until `nextDeadline`.
///
/// - Never twice: once a fire is taken, the task is re-armed strictly after it, and after a
///   clock change a fire at or before the one last taken is skipped (a clock set back an hour
///   does not repeat the 01:00 run).
/// - Never silently not: a fire whose time passed while the process slept (suspend, a clock
///   set forward) is due at once, once.
/// - Catch-up: at start, a task whose last scheduled time passed after its last successful
///   start is due at once, one run however many fires were missed.
public struct DaemonPlan: Sendable {
    struct Entry: Sendable {
        var schedule: Schedule
        var zone: TimeZone
        var next: Date
        /// The scheduled time of the last fire taken.
        var lastFired: Date?
        /// Set when the entry is due because of a missed run, for the log.
        var catchUpOf: Date?
    }

    private(set) var entries: [DaemonTask: Entry] = [:]

    /// A clock set back by more than this is taken as a correction of a wrong clock, not a
    /// replay: the schedule restarts from the new time.
    static let replayWindow: TimeInterval = 26 * 3600

    /// The plan at daemon start. `lastSuccessStart` gives, per task, when its last successful
    /// run started (nil: none on record, so no catch-up).
    public init(config: Config, lastSuccessStart: (DaemonTask) -> Date?, now: Date) {
        for (task, schedule, zone) in Self.scheduledTasks(config) {
            var entry = Entry(schedule: schedule, zone: zone, next: schedule.nextFire(after: now, in: zone))
            if let missed = CatchUp.missedRun(schedule: schedule, zone: zone, lastSuccess: lastSuccessStart(task), now: now) {
                entry.next = now
                entry.catchUpOf = missed
            }
            entries[task] = entry
        }
    }

    /// The plan after a reload: a task whose schedule and zone did not change keeps its next
    /// fire; new or changed ones start from `now`; removed ones are gone.
    public func reloaded(with config: Config, now: Date) -> DaemonPlan {
        var plan = self
        plan.entries = [:]
        for (task, schedule, zone) in Self.scheduledTasks(config) {
            if let old = entries[task], old.schedule == schedule, old.zone == zone {
                plan.entries[task] = old
            } else {
                plan.entries[task] = Entry(schedule: schedule, zone: zone, next: schedule.nextFire(after: now, in: zone))
            }
        }
        return plan
    }

    /// The earliest next fire, if anything is scheduled.
    public var nextDeadline: Date? { entries.values.map(\.next).min() }

    public func nextFire(of task: DaemonTask) -> Date? { entries[task]?.next }

    public var tasks: [DaemonTask] { entries.keys.sorted() }

    /// A due task: its scheduled time, and the missed one it catches up on, if any.
    public struct Due: Sendable, Equatable {
        public var task: DaemonTask
        public var scheduledAt: Date
        public var catchUpOf: Date?
    }

    /// The tasks due at `now`, earliest first; each is re-armed for its first fire after `now`.
    public mutating func takeDue(now: Date) -> [Due] {
        var due: [Due] = []
        for (task, entry) in entries where entry.next <= now {
            let scheduled = entry.catchUpOf ?? entry.next
            due.append(Due(task: task, scheduledAt: scheduled, catchUpOf: entry.catchUpOf))
            var updated = entry
            updated.lastFired = scheduled
            updated.catchUpOf = nil
            updated.next = entry.schedule.nextFire(after: max(now, scheduled), in: entry.zone)
            entries[task] = updated
        }
        return due.sorted { ($0.scheduledAt, $0.task) < ($1.scheduledAt, $1.task) }
    }

    /// After the system clock was set: recomputes every future fire from `now`, skipping fires
    /// already taken (within `replayWindow`). A fire the new time has passed stays due.
    public mutating func clockChanged(now: Date) {
        for (task, entry) in entries where entry.catchUpOf == nil && entry.next > now {
            var next = entry.schedule.nextFire(after: now, in: entry.zone)
            if let last = entry.lastFired, next <= last, last.timeIntervalSince(now) <= Self.replayWindow {
                next = entry.schedule.nextFire(after: last, in: entry.zone)
            }
            entries[task]?.next = next
        }
    }

    private static func scheduledTasks(_ config: Config) -> [(DaemonTask, Schedule, TimeZone)] {
        config.jobs.flatMap { job -> [(DaemonTask, Schedule, TimeZone)] in
            let zone = job.timeZone
            var out: [(DaemonTask, Schedule, TimeZone)] = []
            if let schedule = job.schedule { out.append((DaemonTask(job: job.name, kind: .backup), schedule, zone)) }
            if let schedule = job.drill?.schedule { out.append((DaemonTask(job: job.name, kind: .drill), schedule, zone)) }
            return out
        }
    }
}
