import Foundation
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

    private static let lock = NSLock()
    nonisolated(unsafe) private static var handlers: [Int: @Sendable (Int32) -> Void] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var received: Int32?
    nonisolated(unsafe) private static var hangupHandler: (@Sendable () -> Void)?

    /// Call once, first thing in main: the signals are blocked in every thread created after
    /// this (threads inherit the mask) and taken by one thread with sigwait.
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
        lock.lock()
        hangupHandler = handler
        lock.unlock()
    }

    /// Registers `handler` until `unregister`; returns a token.
    /// Work that starts after SIGINT/SIGTERM arrived (a daemon finishing up) is cancelled at
    /// once: `handler` is called before this returns.
    public static func register(_ handler: @escaping @Sendable (Int32) -> Void) -> Int {
        lock.lock()
        nextToken += 1
        handlers[nextToken] = handler
        let token = nextToken
        let earlier = received
        lock.unlock()
        if let earlier { handler(earlier) }
        return token
    }

    public static func unregister(_ token: Int) {
        lock.lock()
        handlers.removeValue(forKey: token)
        lock.unlock()
    }

    private static func deliver(_ signal: Int32) {
        lock.lock()
        if signal == SIGHUP, let hangup = hangupHandler {
            lock.unlock()
            hangup()
            return
        }
        let repeated = received != nil
        received = signal
        let current = Array(handlers.values)
        lock.unlock()
        if repeated || (current.isEmpty && !token.hasHandlers) { exit(128 + signal) }
        current.forEach { $0(signal) }
        token.cancel(reason: .signal(signal))
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
