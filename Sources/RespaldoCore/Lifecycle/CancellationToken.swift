import Foundation
import Synchronization

/// Why a run was cancelled. SIGINT/SIGTERM and a job's `timeout` end a run the same way (the
/// same token, the same handlers); only the message differs.
public enum CancellationReason: Sendable, Equatable, CustomStringConvertible {
    /// SIGINT or SIGTERM (a daemon stopping, an operator's Ctrl-C).
    case signal(Int32)
    /// The run's deadline passed; `limit` is the job's `timeout` in seconds.
    case deadline(limit: TimeInterval)

    public var description: String {
        switch self {
        case let .signal(signal):
            "interrupted by \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)")"
        case let .deadline(limit):
            "exceeded its timeout of \(ConfigDuration.format(limit))"
        }
    }
}

/// The error a cancelled operation throws.
public struct Cancelled: Error, CustomStringConvertible, Equatable {
    public let reason: CancellationReason
    public init(_ reason: CancellationReason) { self.reason = reason }
    public var description: String { "cancelled: \(reason)" }
}

/// Cancellation passed down a run: the pipeline, the child processes and the remote transfers
/// each register what stops them, and whoever cancels (the signal thread, a deadline timer, a
/// parent token) does not need to know what is running.
///
/// - Cancelling is final; the first reason wins and later calls do nothing.
/// - A handler registered after cancellation is called at once, on the registering thread, so
///   work that starts late (a daemon finishing up after SIGTERM) is stopped too.
/// - Handlers run on the cancelling thread, outside the lock: they must be quick and must not
///   wait for the work they stop (send a signal, close a queue, set a flag).
/// - A token made with a parent is cancelled with it; `detach()` ends that link and the
///   deadline, so that a long-lived parent (the daemon's) does not collect one handler per run.
public final class CancellationToken: Sendable {
    public typealias Handler = @Sendable (CancellationReason) -> Void

    private struct State {
        var reason: CancellationReason?
        var handlers: [Int: Handler] = [:]
        var nextID = 0
        var parentLink: CancellationRegistration?
        var alarm: (any DeadlineAlarm)?
    }

    private let state = Mutex(State())

    /// A token that only `cancel(reason:)` cancels.
    public init() {}

    /// A token cancelled when `parent` is, and with `.deadline(limit: timeout)` once `timeout`
    /// seconds have passed on `clock` (when a timeout is given).
    public init(parent: CancellationToken?, timeout: TimeInterval? = nil, clock: any DeadlineClock = DispatchDeadlineClock()) {
        if let timeout {
            let alarm = clock.schedule(after: timeout) { [weak self] in self?.cancel(reason: .deadline(limit: timeout)) }
            state.withLock { $0.alarm = alarm }
        }
        if let parent {
            let link = parent.onCancel { [weak self] reason in self?.cancel(reason: reason) }
            state.withLock { $0.parentLink = link }
        }
    }

    deinit { detach() }

    public var isCancelled: Bool { state.withLock { $0.reason != nil } }

    /// Why the token was cancelled; nil while it is not.
    public var reason: CancellationReason? { state.withLock { $0.reason } }

    /// True while some handler is registered (someone would notice a cancellation).
    public var hasHandlers: Bool { state.withLock { !$0.handlers.isEmpty } }

    /// Cancels with `reason` and calls every handler once; returns false when the token was
    /// already cancelled (the first reason stays).
    @discardableResult
    public func cancel(reason: CancellationReason) -> Bool {
        let taken = state.withLock { state -> (handlers: [Handler], alarm: (any DeadlineAlarm)?)? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            // In registration order, so that what happens on cancellation does not vary by run.
            let handlers = state.handlers.sorted { $0.key < $1.key }.map(\.value)
            let alarm = state.alarm
            state.handlers = [:]
            state.alarm = nil
            return (handlers, alarm)
        }
        guard let taken else { return false }
        taken.alarm?.cancel()
        taken.handlers.forEach { $0(reason) }
        return true
    }

    /// Throws `Cancelled` once the token is cancelled.
    public func throwIfCancelled() throws {
        if let reason { throw Cancelled(reason) }
    }

    /// Calls `handler` when the token is cancelled, or at once if it already is. Remove the
    /// registration when the work it stops has ended.
    @discardableResult
    public func onCancel(_ handler: @escaping Handler) -> CancellationRegistration {
        let outcome = state.withLock { state -> (id: Int?, reason: CancellationReason?) in
            if let reason = state.reason { return (nil, reason) }
            state.nextID += 1
            state.handlers[state.nextID] = handler
            return (state.nextID, nil)
        }
        if let reason = outcome.reason { handler(reason) }
        return CancellationRegistration(token: self, id: outcome.id)
    }

    fileprivate func remove(_ id: Int) {
        _ = state.withLock { $0.handlers.removeValue(forKey: id) }
    }

    /// Ends the link to the parent and the deadline; the token keeps whatever state it has.
    public func detach() {
        let (link, alarm) = state.withLock { state -> (CancellationRegistration?, (any DeadlineAlarm)?) in
            defer {
                state.parentLink = nil
                state.alarm = nil
            }
            return (state.parentLink, state.alarm)
        }
        link?.remove()
        alarm?.cancel()
    }
}

/// A handler registered with `CancellationToken.onCancel`.
public struct CancellationRegistration: Sendable {
    private let token: CancellationToken?
    private let id: Int?

    fileprivate init(token: CancellationToken, id: Int?) {
        self.token = id == nil ? nil : token
        self.id = id
    }

    /// The handler will not be called (harmless after cancellation or a second time).
    public func remove() {
        if let token, let id { token.remove(id) }
    }
}
