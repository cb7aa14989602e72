import Foundation
import Logging

/// Sends WATCHDOG=1 from a thread of its own at the notifier's interval (half of
/// WATCHDOG_USEC) until stopped. A thread rather than a task so that pings keep coming while a
/// long dump or upload occupies the daemon's tasks and the cooperative pool's few threads.
///
/// Because the thread only proves that the process is not wholly stuck, `isHealthy` lets the
/// daemon withhold pings when its own loop has stalled: systemd then restarts the service after
/// WatchdogSec=, which is the point of the watchdog.
public final class WatchdogPinger: @unchecked Sendable {
    public let interval: Duration
    private let notifier: SystemdNotifier
    private let logger: Logger?
    private let isHealthy: @Sendable () -> Bool
    // Guards `running` and `finished`; the ping thread waits on it between pings.
    private let condition = NSCondition()
    private var running = false
    private var finished = true

    public init(
        notifier: SystemdNotifier, interval: Duration, logger: Logger? = nil,
        isHealthy: @escaping @Sendable () -> Bool = { true }
    ) {
        self.notifier = notifier
        self.interval = interval
        self.logger = logger
        self.isHealthy = isHealthy
    }

    /// A started pinger when systemd expects watchdog pings from this process, else nil.
    public static func start(
        notifier: SystemdNotifier, logger: Logger? = nil, isHealthy: @escaping @Sendable () -> Bool = { true }
    ) -> WatchdogPinger? {
        guard notifier.isEnabled, let interval = notifier.watchdogInterval else { return nil }
        let pinger = WatchdogPinger(notifier: notifier, interval: interval, logger: logger, isHealthy: isHealthy)
        pinger.start()
        return pinger
    }

    /// Starts the thread, which pings at once and then every `interval`. Does nothing if running.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running, finished else { return }
        running = true
        finished = false
        let thread = Thread { [self] in loop() }
        thread.name = "respaldo-watchdog"
        thread.start()
    }

    /// Stops the pings and waits for the thread to end, so no ping follows the return (systemd
    /// must not see WATCHDOG=1 after STOPPING=1 and the exit). Idempotent.
    public func stop() {
        condition.lock()
        defer { condition.unlock() }
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
    }

    private func loop() {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        condition.lock()
        while running {
            condition.unlock()
            ping()
            condition.lock()
            let deadline = Date(timeIntervalSinceNow: seconds)
            while running && condition.wait(until: deadline) {}
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func ping() {
        guard isHealthy() else {
            logger?.warning("not pinging the systemd watchdog: the daemon's health check failed")
            return
        }
        do {
            try notifier.watchdog()
        } catch {
            logger?.warning("\(error)")
        }
    }
}
