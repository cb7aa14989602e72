import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The run was stopped by SIGINT or SIGTERM.
public struct Interrupted: Error, CustomStringConvertible {
    public let signal: Int32
    public var description: String { CancellationReason.signal(signal).description }
}

/// Turns SIGINT, SIGTERM and SIGHUP into cancellation of whatever is running, so an interrupted
/// backup or restore removes its temporary files instead of dying mid-write. With nothing
/// running, or on a second signal, the process exits at once. The daemon takes SIGHUP for
/// itself (`onHangup`: reload).
///
/// The signal cancels `token`, the root of every run's `CancellationToken` (a backup's token is
/// its child, with the job's deadline), so SIGTERM and a timeout stop a run by one path. The
/// handler registry (`register`) remains for the work that does not take a token yet (drills).
public enum Interruption {
    /// Cancelled with `.signal` by the first SIGINT or SIGTERM.
    public static let token = CancellationToken()

    private static let registry = SignalRegistry()

    /// Call once, first thing in main: the signals are blocked in every thread created after
    /// this (threads inherit the mask) and taken by one thread with sigwait, so that what a
    /// signal does runs as ordinary code, never in a signal handler.
    public static func install() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let thread = Thread {
            var set = signalSet()
            while true {
                var signal: Int32 = 0
                guard sigwait(&set, &signal) == 0 else { continue }
                deliver(signal)
            }
        }
        thread.start()
    }

    /// SIGHUP calls `handler` (on the signal thread) instead of interrupting anything.
    public static func onHangup(_ handler: @escaping @Sendable () -> Void) {
        registry.onHangup(handler)
    }

    /// Registers `handler` until `unregister`; returns a token.
    /// Work that starts after SIGINT/SIGTERM arrived (a daemon finishing up) is cancelled at
    /// once: `handler` is called before this returns.
    public static func register(_ handler: @escaping @Sendable (Int32) -> Void) -> Int {
        registry.register(handler)
    }

    public static func unregister(_ token: Int) {
        registry.unregister(token)
    }

    private static func deliver(_ signal: Int32) {
        switch registry.deliver(signal, othersListening: { token.hasHandlers }) {
        case let .hangup(handler):
            handler()
        case .exit:
            exit(128 + signal)
        case let .interrupt(handlers):
            handlers.forEach { $0(signal) }
            token.cancel(reason: .signal(signal))
        }
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGHUP)
        return set
    }
}

/// `Interruption`'s handlers and what it has received: the decisions, apart from the process's
/// signals and its exit, so that tests can have a registry of their own.
final class SignalRegistry: Sendable {
    /// What a delivered signal is to do.
    enum Delivery {
        /// SIGHUP with a hangup handler: call it, interrupt nothing.
        case hangup(@Sendable () -> Void)
        /// Call these handlers, then cancel the token.
        case interrupt([@Sendable (Int32) -> Void])
        /// A second signal, or a first that nothing would notice: exit at once.
        case exit
    }

    private struct State {
        var handlers: [Int: @Sendable (Int32) -> Void] = [:]
        var nextToken = 0
        var received: Int32?
        var hangup: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func onHangup(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.hangup = handler }
    }

    func register(_ handler: @escaping @Sendable (Int32) -> Void) -> Int {
        let (token, earlier) = state.withLock { state in
            state.nextToken += 1
            state.handlers[state.nextToken] = handler
            return (state.nextToken, state.received)
        }
        if let earlier { handler(earlier) }
        return token
    }

    func unregister(_ token: Int) {
        _ = state.withLock { $0.handlers.removeValue(forKey: token) }
    }

    /// How many handlers are registered.
    var count: Int { state.withLock { $0.handlers.count } }

    /// Records `signal` and says what it does. `othersListening` (asked outside the lock, and
    /// only when no handler is registered) says whether anything else would notice it.
    func deliver(_ signal: Int32, othersListening: () -> Bool) -> Delivery {
        let (hangup, handlers, repeated) = state.withLock { state -> ((@Sendable () -> Void)?, [@Sendable (Int32) -> Void], Bool) in
            if signal == SIGHUP, let hangup = state.hangup { return (hangup, [], false) }
            defer { state.received = signal }
            return (nil, Array(state.handlers.values), state.received != nil)
        }
        if let hangup { return .hangup(hangup) }
        if repeated || (handlers.isEmpty && !othersListening()) { return .exit }
        return .interrupt(handlers)
    }
}
