import Dispatch
import Foundation
import Logging
import Storage
import Synchronization

/// Sends alerts for `[notify]`: the webhook's JSON POST and the mail for the statuses that
/// `on` names, and healthchecks-style pings for every run.
///
/// An alert never fails or blocks a backup: `send` and `ping` return at once and deliver on a
/// thread of their own; each attempt is bounded (`AlertLimits`: 10 s to connect, 30 s in all)
/// and a transient failure is retried at most twice. Failures are logged (naming the kind of
/// target and its server, never a URL's path or query, which may hold a token, nor a
/// password) and never thrown. A one-shot command calls `waitForOutstanding(timeout:)` before
/// it exits so that its alert leaves.
public final class Alerter: Sendable {
    public let config: NotifyConfig
    public let limits: AlertLimits
    let logger: Logger
    private let inFlight = DispatchGroup()
    private let outstanding = Atomic<Int>(0)

    public init(config: NotifyConfig, logger: Logger, limits: AlertLimits = AlertLimits()) {
        self.config = config
        self.logger = logger
        self.limits = limits
    }

    /// Whether `on` names this status.
    public func notifies(_ status: AlertStatus) -> Bool {
        config.on.contains(status)
    }

    /// Whether `on` wants this event: its status, or for a recovery the status its failures
    /// were notified under (whoever heard of the failure hears of its end) or `success`.
    public func notifies(_ admitted: AlertHistory.Admitted) -> Bool {
        guard admitted.event.event == .recovered else { return notifies(admitted.event.status) }
        return notifies(.success) || admitted.recovers.map(notifies) ?? false
    }

    /// Sends the event to the webhook and by mail, in the background, if `on` names its
    /// status. Returns at once.
    public func send(_ event: AlertEvent) {
        send(AlertHistory.Admitted(event: event))
    }

    /// Sends an event the history let through, in the background, if `on` wants it.
    public func send(_ admitted: AlertHistory.Admitted) {
        guard notifies(admitted) else { return }
        for delivery in deliveries(for: admitted.event) { start(delivery) }
    }

    /// Sends a ping in the background, if `ping_url` is set; `body` (a failure's error, say)
    /// shows in the service's log. Returns at once.
    public func ping(_ kind: PingKind, body: String = "") {
        guard let url = config.pingURL else { return }
        start(pingDelivery(url, kind, body: body))
    }

    /// The end of a run: the success or failure ping, and `send(event)`.
    public func finish(_ event: AlertEvent) {
        ping(PingKind(event.status), body: event.error ?? "")
        send(event)
    }

    /// Waits until every background delivery has finished, or `timeout` seconds have passed;
    /// blocks the calling thread. True when none is left.
    @discardableResult
    public func waitForOutstanding(timeout: Double) -> Bool {
        let milliseconds = timeout.isNaN ? 0 : Int(min(max(timeout, 0), 86_400) * 1000)
        return inFlight.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
    }

    /// Delivers the event to the webhook and by mail on the calling thread, whatever `on` says
    /// (for a test message), and reports each target's outcome. Blocks for up to
    /// `limits.worstCase` seconds per target: not for a backup's thread.
    public func sendNow(_ event: AlertEvent) -> [AlertOutcome] {
        deliveries(for: event).map(run)
    }

    /// A ping on the calling thread; nil without `ping_url`.
    public func pingNow(_ kind: PingKind, body: String = "") -> AlertOutcome? {
        config.pingURL.map { run(pingDelivery($0, kind, body: body)) }
    }

    // MARK: - Deliveries

    /// One message to one target: what it is (for logs) and one attempt at sending it.
    struct Delivery: Sendable {
        var target: AlertTarget
        var what: String
        var attempt: @Sendable () throws(AlertError) -> Void
    }

    private func deliveries(for event: AlertEvent) -> [Delivery] {
        var result: [Delivery] = []
        if let url = config.webhookURL { result.append(webhookDelivery(url, event)) }
        if let url = config.smtpURL { result.append(mailDelivery(url, event)) }
        return result
    }

    /// Runs a delivery on a new thread, unless too many are in flight already.
    private func start(_ delivery: Delivery) {
        let count = outstanding.add(1, ordering: .relaxed).newValue
        guard count <= limits.maxOutstanding else {
            outstanding.subtract(1, ordering: .relaxed)
            logger.error("alert not sent: \(delivery.what) to \(delivery.target): \(limits.maxOutstanding) alerts are still being sent")
            return
        }
        inFlight.enter()
        let thread = Thread { [self] in
            _ = run(delivery)
            outstanding.subtract(1, ordering: .relaxed)
            inFlight.leave()
        }
        thread.name = "respaldo-alert"
        thread.start()
    }

    /// Attempts the delivery, retrying transient failures with a doubling delay; logs the end.
    private func run(_ delivery: Delivery) -> AlertOutcome {
        var attempt = 1
        while true {
            do {
                try delivery.attempt()
                let message: Logger.Message = "alert sent: \(delivery.what) to \(delivery.target)\(attempt > 1 ? " (attempt \(attempt))" : "")"
                // Pings come with every run: only their failures are news.
                if delivery.target.kind == .ping { logger.debug(message) } else { logger.info(message) }
                return AlertOutcome(target: delivery.target.description, attempts: attempt, error: nil)
            } catch {
                guard !error.isPermanent, attempt <= limits.retries else {
                    logger.error("alert not sent: \(delivery.what): \(error)")
                    return AlertOutcome(target: delivery.target.description, attempts: attempt, error: error.description)
                }
                let delay = limits.backoff.delay(beforeRetry: attempt)
                logger.warning("alert \(delivery.what): \(error); retrying in \(formatSeconds(delay))")
                Thread.sleep(forTimeInterval: delay)
                attempt += 1
            }
        }
    }
}

/// How one delivery ended.
public struct AlertOutcome: Sendable, Equatable {
    /// The target as logs name it: kind and server (`webhook at hooks.example.com`).
    public var target: String
    public var attempts: Int
    /// The last failure, or nil when the alert was delivered.
    public var error: String?

    public var delivered: Bool { error == nil }
}

private func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
}
