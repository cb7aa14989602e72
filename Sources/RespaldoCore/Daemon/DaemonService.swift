import Foundation
import Logging
import Storage

/// `respaldo daemon`: fires each job at its scheduled times, one catch-up run for a time missed
/// while it was down, retries pending uploads, and talks to systemd. Shaped like a
/// swift-service-lifecycle `Service`: `run()` returns after a graceful shutdown.
///
/// One loop thread owns the plan and sleeps on a `WakeTimer` (wall-clock deadline, re-armed on
/// clock changes). Runs happen on worker threads, at most `max_parallel` at once and never two
/// of the same job; the loop keeps sending watchdog pings while they work. A due run that finds
/// every slot taken waits in the queue, and the log and STATUS say so; each backup's `timeout`
/// bounds how long a hung run can keep the others waiting.
///
/// Not `Sendable`: everything but the mailbox is the loop thread's alone.
public final class DaemonService {
    private let configPath: String
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let timer: any DaemonTimer
    private let now: @Sendable () -> Date
    /// SIGTERM (by default) stops the daemon; every run's token is a child of it.
    private let cancellation: CancellationToken

    /// Builds the runs' environment from a configuration (at start and on each reload).
    private let makeEnvironment: @Sendable (Config) -> Environment

    /// What signal and worker threads tell the loop.
    private let mailbox: DaemonMailbox

    private var config: Config
    private var env: Environment
    private var plan: DaemonPlan
    private var queue: [DaemonPlan.Due] = []
    /// Each running task and when it started.
    private var running: [DaemonTask: Date] = [:]
    /// Queued tasks already logged as waiting for a slot (logged once per wait).
    private var loggedWaiting: Set<DaemonTask> = []
    /// Running tasks already reported as not ending after their timeout.
    private var loggedOverdue: Set<DaemonTask> = []
    private var pendingRetryAt: Date?
    /// Rounds of pending uploads that failed since the last clean one (or nothing pending).
    private var failedUploadRounds = 0
    private var retryingUploads = false
    /// The first upload round compares every remote's catalog with the local one.
    private var firstUploadRound = true
    private var alerter: Alerter?
    private var lastStatus = ""
    /// This process as `status` sees it (`<state_dir>/daemon.json`).
    private var record: DaemonRecord
    private var recordFailed = false
    private var nextHeartbeat: Date
    private var nextMetrics: Date

    /// The waits after failed rounds of pending uploads: 5 minutes after the first, doubling up
    /// to 6 hours, as the README promises (0.1 doubled before the first wait: 10 minutes). A
    /// clean round, or nothing pending, starts the schedule over.
    public static let pendingUploadBackoff = Backoff(initial: 300, factor: 2, cap: 6 * 3600)
    /// The metrics textfile is rewritten this often even when nothing runs, so that its
    /// daemon heartbeat shows the daemon alive (the "dead daemon" alert watches it).
    public static let metricsRefresh: TimeInterval = 300

    /// A run still going this long after its timeout is reported: it does not respond to
    /// cancellation (a process in uninterruptible sleep, a hung file system).
    public static let overdueGrace: TimeInterval = 60

    public init(configPath: String, config: Config, logger: Logger, notifier: SystemdNotifier,
                cancellation: CancellationToken, now: @escaping @Sendable () -> Date = { Date() },
                environment: (@Sendable (Config) -> Environment)? = nil, timer: (any DaemonTimer)? = nil) throws {
        let makeEnvironment = environment ?? { config in
            Environment.live(config: config, logger: logger, actor: .daemon(), cancellation: cancellation,
                             clock: RunClock(now: now, deadlines: DispatchDeadlineClock()))
        }
        self.makeEnvironment = makeEnvironment
        env = makeEnvironment(config)
        self.configPath = configPath
        self.cancellation = cancellation
        self.config = config
        self.logger = logger
        self.notifier = notifier
        self.now = now
        self.timer = try timer ?? WakeTimer()
        mailbox = DaemonMailbox(timer: self.timer)
        let start = now()
        var byJob: [String: RunState] = [:]
        for job in config.jobs {
            let (state, problem) = RunState.loadReporting(stateDir: env.state.root, job: job.name)
            // Only this job loses its catch-up; the next record rebuilds its file.
            if let problem { logger.error("job \(job.name): run state unusable, catch-up skipped for this job: \(problem)") }
            byJob[job.name] = state
        }
        plan = DaemonPlan(config: config, lastSuccessStart: { task in
            let state = byJob[task.job]
            return task.kind == .backup ? state?.lastSuccess?.startedAt : state?.lastDrillSuccess?.startedAt
        }, now: start)
        pendingRetryAt = start
        alerter = config.notify.map { Alerter(config: $0, logger: logger) }
        record = DaemonRecord(startedAt: start)
        nextHeartbeat = start
        nextMetrics = start
    }

    /// Stops or reloads the service from any thread, while `run` holds the one it runs on.
    public var control: DaemonControl { DaemonControl(mailbox: mailbox) }

    /// Runs until `control.requestStop()` or the cancellation (SIGTERM): then no new run starts, running
    /// ones are cancelled (their tokens are children of the daemon's: their pipelines stop and
    /// remove their temporary files), and it returns once they have ended.
    public func run() {
        let stopToken = cancellation.onCancel { [mailbox] _ in mailbox.requestStop() }
        defer { stopToken.remove() }
        Interruption.onHangup { [mailbox] in mailbox.requestReload() }

        let watchdog = notifier.watchdogInterval.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        logger.info("daemon started: \(describePlan())")
        heartbeat()
        for due in plan.takeDue(now: now()) { enqueue(due) }
        try? notifier.ready(status: statusLine())

        while !mailbox.stopRequested {
            if mailbox.takeReloadRequest() { reload() }
            heartbeat()
            collectFinished()
            for due in plan.takeDue(now: now()) { enqueue(due) }
            startUploadRetryIfDue()
            dispatch()
            let status = statusLine()
            if status != lastStatus {
                try? notifier.status(status)
                lastStatus = status
            }
            reportOverdueRuns()
            let deadline = [plan.nextDeadline, retryingUploads ? nil : pendingRetryAt, nextHeartbeat, nextOverdueCheck()].compactMap { $0 }.min()
            let reason = timer.wait(until: deadline, timeout: watchdog)
            if watchdog != nil { try? notifier.watchdog() }
            if reason == .clockChanged {
                logger.notice("the system clock was set: schedules re-armed from \(RFC3339.format(now(), in: .current))")
                plan.clockChanged(now: now())
            }
        }
        shutdown(watchdog: watchdog)
    }

    // MARK: - Heartbeat

    /// Refreshes `daemon.json` every `DaemonRecord.heartbeatInterval`, and the metrics every
    /// `metricsRefresh`: from the loop itself, so a stuck loop stops both.
    private func heartbeat() {
        let at = now()
        if at >= nextHeartbeat {
            record.heartbeatAt = at
            writeRecord()
            nextHeartbeat = at.addingTimeInterval(DaemonRecord.heartbeatInterval)
        }
        if at >= nextMetrics {
            MetricsWriter(env: env).write(now: at)
            nextMetrics = at.addingTimeInterval(Self.metricsRefresh)
        }
    }

    private func writeRecord() {
        do {
            try record.write(stateDir: env.state.root)
            recordFailed = false
        } catch {
            // Once per spell of failures: every minute would flood the journal.
            if !recordFailed { logger.error("cannot write the daemon record, `status` will say the daemon is not running: \(error)") }
            recordFailed = true
        }
    }

    // MARK: - Runs

    private func enqueue(_ due: DaemonPlan.Due) {
        let when = RFC3339.format(due.scheduledAt, in: zone(due.task))
        if let since = running[due.task] {
            logger.warning("\(due.task): its run for \(when) is skipped: the previous run, running since \(RFC3339.format(since, in: zone(due.task))), has not finished")
            return
        }
        if queue.contains(where: { $0.task == due.task }) {
            // Not skipped for a run of its own: it never started, and will run once a slot frees.
            logger.warning("\(due.task): its run for \(when) is merged with the one still waiting for a free slot (max_parallel = \(config.maxParallel); running: \(describeRunning()))")
            return
        }
        if let missed = due.catchUpOf {
            logger.notice("\(due.task): the run scheduled for \(RFC3339.format(missed, in: zone(due.task))) was missed while the daemon was down; running it now")
        }
        queue.append(due)
    }

    private func dispatch() {
        while let next = queue.first, running.count < config.maxParallel {
            queue.removeFirst()
            loggedWaiting.remove(next.task)
            running[next.task] = now()
            let runner = TaskRunner(
                env: env,
                shouldStop: { [mailbox] in mailbox.stopRequested },
                alerter: alerter)
            let thread = Thread { [mailbox] in
                let outcome = runner.run(next.task)
                mailbox.post { $0.finished.append(outcome) }
            }
            thread.name = "respaldo-\(next.task.job)"
            thread.start()
        }
        for waiting in queue where !loggedWaiting.contains(waiting.task) {
            loggedWaiting.insert(waiting.task)
            logger.notice("\(waiting.task): due, waiting for a free slot (max_parallel = \(config.maxParallel); running: \(describeRunning()))")
        }
    }

    /// When the next running backup passes its timeout by `overdueGrace`, if any is not yet
    /// reported.
    private func nextOverdueCheck() -> Date? {
        running.compactMap { task, since in
            loggedOverdue.contains(task) ? nil : overdueAt(task, since: since)
        }.min()
    }

    private func overdueAt(_ task: DaemonTask, since: Date) -> Date? {
        guard task.kind == .backup, let job = config.job(named: task.job) else { return nil }
        return since.addingTimeInterval(job.timeout.seconds + Self.overdueGrace)
    }

    /// A run that outlived its timeout was cancelled but has not ended: say so, once, loudly.
    private func reportOverdueRuns() {
        let current = now()
        for (task, since) in running where !loggedOverdue.contains(task) {
            guard let at = overdueAt(task, since: since), at <= current else { continue }
            loggedOverdue.insert(task)
            logger.error("\(task): still running \(Int(Self.overdueGrace)) s after its timeout (started \(RFC3339.format(since, in: zone(task)))): it does not respond to cancellation; other jobs wait for its slot until it ends")
        }
    }

    private func collectFinished() {
        let (outcomes, uploads) = mailbox.takeFinished()
        for outcome in outcomes {
            running.removeValue(forKey: outcome.task)
            loggedOverdue.remove(outcome.task)
            let seconds = String(format: "%.1f", outcome.finishedAt.timeIntervalSince(outcome.startedAt))
            switch outcome.result {
            case .success: logger.info("\(outcome.task): done in \(seconds) s\(outcome.snapshot.map { " (\($0))" } ?? "")")
            case .uploadFailure: logger.error("\(outcome.task): snapshot \(outcome.snapshot ?? "?") is complete locally, but: \(outcome.error.map { "\($0)" } ?? "a remote copy failed")")
            case .failure: logger.error("\(outcome.task): failed after \(seconds) s: \(outcome.error.map { "\($0)" } ?? "unknown error")")
            }
            // Whatever the run left pending goes out now rather than at the next backoff step.
            if outcome.task.kind == .backup { pendingRetryAt = now() }
        }
        if let clean = uploads {
            retryingUploads = false
            failedUploadRounds = clean ? 0 : failedUploadRounds + 1
            pendingRetryAt = clean ? nil : now().addingTimeInterval(Self.pendingUploadBackoff.delay(beforeRetry: failedUploadRounds))
        }
    }

    /// Pending uploads: at start, after each backup, and after a failure with a doubling delay.
    private func startUploadRetryIfDue() {
        guard !retryingUploads, let at = pendingRetryAt, at <= now() else { return }
        pendingRetryAt = nil
        let pending = env.state.pending
        let everyRemote = firstUploadRound && config.jobs.contains { !$0.remotes.isEmpty }
        firstUploadRound = false
        let anyPending = everyRemote || config.jobs.contains { job in job.remotes.contains { !pending.ids(remote: $0, job: job.name).isEmpty } }
        guard anyPending else {
            failedUploadRounds = 0
            return
        }
        retryingUploads = true
        let runner = TaskRunner(env: env, shouldStop: { true }, alerter: alerter)
        let thread = Thread { [mailbox] in
            let clean = runner.retryPendingUploads(everyRemote: everyRemote)
            mailbox.post { $0.uploadsFinished = clean }
        }
        thread.name = "respaldo-uploads"
        thread.start()
    }

    // MARK: - Reload and stop

    /// SIGHUP: the new file is validated completely before it replaces the running config; on
    /// any error the daemon keeps the old one and says why.
    private func reload() {
        try? notifier.reloading(status: "reloading \(configPath)")
        do {
            let fresh = try Config.load(path: configPath)
            _ = try Keys.encryption(fresh.encryption)
            config = fresh
            env = makeEnvironment(fresh)
            alerter = fresh.notify.map { Alerter(config: $0, logger: logger) }
            plan = plan.reloaded(with: fresh, now: now())
            logger.notice("configuration reloaded from \(configPath): \(describePlan())")
        } catch {
            logger.error("reload of \(configPath) failed, keeping the running configuration: \(error)")
        }
        try? notifier.ready(status: statusLine())
    }

    private func shutdown(watchdog: Double?) {
        try? notifier.stopping(status: running.isEmpty ? "stopping" : "stopping: waiting for \(describeRunning())")
        logger.notice(running.isEmpty ? "stopping" : "stopping: cancelling \(describeRunning())")
        while !running.isEmpty || retryingUploads {
            _ = timer.wait(until: nil, timeout: watchdog ?? 1)
            if watchdog != nil { try? notifier.watchdog() }
            collectFinished()
        }
        _ = alerter?.waitForOutstanding(timeout: 10)
        record.stoppedAt = now()
        writeRecord()
        logger.notice("stopped")
    }

    // MARK: - Descriptions

    /// A running task whose job a reload removed has no zone of its own any more: the
    /// configuration's is the one left to write its times in.
    private func zone(_ task: DaemonTask) -> TimeZone {
        config.job(named: task.job)?.timeZone ?? config.timeZone
    }

    private func describePlan() -> String {
        let tasks = plan.tasks
        guard !tasks.isEmpty else { return "no job has a schedule" }
        return tasks.compactMap { task in
            plan.nextFire(of: task).map { "\(task) next at \(RFC3339.format($0, in: zone(task)))" }
        }.joined(separator: "; ")
    }

    /// "crm since 2026-11-21T01:00:02-06:00, web (drill) since …", in start order.
    private func describeRunning() -> String {
        guard !running.isEmpty else { return "nothing" }
        return running.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            .map { "\($0.key) since \(RFC3339.format($0.value, in: zone($0.key)))" }
            .joined(separator: ", ")
    }

    private func statusLine() -> String {
        if !running.isEmpty {
            let waiting = queue.isEmpty ? "" : "; waiting for a slot: \(queue.map(\.task.description).joined(separator: ", "))"
            return "running \(describeRunning())\(waiting)"
        }
        guard let next = plan.nextDeadline, let task = plan.tasks.first(where: { plan.nextFire(of: $0) == next }) else {
            return "idle: nothing scheduled"
        }
        return "idle; next: \(task) at \(RFC3339.format(next, in: zone(task)))"
    }
}
