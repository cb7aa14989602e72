import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why `WakeTimer.wait` returned.
public enum WakeReason: Sendable, Equatable {
    /// The wall-clock deadline was reached.
    case deadline
    /// The system clock was set (NTP step, an operator, a resume that corrected the clock):
    /// deadlines must be recomputed from the new time.
    case clockChanged
    /// `wake()` was called (a signal arrived, a run finished).
    case woken
    /// The timeout passed first (the watchdog's heartbeat interval).
    case timeout
}

/// What the daemon's loop sleeps on. `WakeTimer` keeps the system's wall clock; a test that
/// injects its own clock (`DaemonService(now:)`) injects a timer that keeps that clock too,
/// so a schedule's minute comes when the test says, not when the wall clock gets there.
public protocol DaemonTimer: AnyObject, Sendable {
    /// Interrupts a `wait` in progress (or the next one); safe from any thread.
    func wake()
    /// Waits until `deadline` (nil: no deadline), at most `timeout` seconds.
    func wait(until deadline: Date?, timeout: Double?) -> WakeReason
}

public struct WakeTimerError: Error, CustomStringConvertible {
    public var description: String
}

/// Sleeps until a wall-clock instant without busy-waiting, and notices clock changes.
///
/// A `CLOCK_REALTIME` timerfd armed with an absolute time fires at that wall time even across
/// suspend (a monotonic sleep would not count the suspended hours), and with
/// `TFD_TIMER_CANCEL_ON_SET` the kernel cancels it when the clock is set, so the caller
/// re-arms from the new time instead of oversleeping or firing an hour early. An eventfd lets
/// other threads interrupt the wait.
public final class WakeTimer: DaemonTimer {
    private let timer: Int32
    private let event: Int32

    public init() throws {
        timer = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard timer >= 0 else { throw WakeTimerError(description: "timerfd_create: \(String(cString: strerror(errno)))") }
        event = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard event >= 0 else {
            close(timer)
            throw WakeTimerError(description: "eventfd: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(timer)
        close(event)
    }

    /// Interrupts a `wait` in progress (or the next one); safe from any thread.
    public func wake() {
        var one: UInt64 = 1
        _ = write(event, &one, 8)
    }

    /// Waits until `deadline` (wall clock; nil: no deadline), at most `timeout` seconds.
    public func wait(until deadline: Date?, timeout: Double?) -> WakeReason {
        arm(deadline)
        var fds = [pollfd(fd: timer, events: Int16(POLLIN), revents: 0), pollfd(fd: event, events: Int16(POLLIN), revents: 0)]
        let milliseconds = timeout.map { Int32(min(max($0, 0) * 1000, Double(Int32.max))) } ?? -1
        let ready = poll(&fds, 2, milliseconds)
        if ready == 0 { return .timeout }
        if ready < 0 { return .woken }  // EINTR: let the caller look around
        if fds[1].revents != 0 {
            var count: UInt64 = 0
            _ = read(event, &count, 8)
            return .woken
        }
        var expirations: UInt64 = 0
        if read(timer, &expirations, 8) < 0 && errno == ECANCELED { return .clockChanged }
        return .deadline
    }

    private func arm(_ deadline: Date?) {
        var spec = itimerspec()
        if let deadline {
            let seconds = deadline.timeIntervalSince1970.rounded(.down)
            spec.it_value.tv_sec = max(Int(seconds), 0)
            spec.it_value.tv_nsec = Int((deadline.timeIntervalSince1970 - seconds) * 1e9)
            // A zero it_value disarms: a deadline at the epoch still has to fire.
            if spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0 { spec.it_value.tv_nsec = 1 }
        }
        timerfd_settime(timer, Int32(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET), &spec, nil)
    }
}
