import Dispatch
import Foundation

/// Something that fires an action once after a delay: where a `CancellationToken`'s deadline
/// comes from. The daemon and the commands use `DispatchDeadlineClock`; tests inject a clock
/// they advance by hand, so that a "2 hour" timeout is tested without waiting for it.
public protocol DeadlineClock: Sendable {
    /// Calls `action` once, `seconds` from now, on a thread that is not the caller's, unless
    /// the returned alarm is cancelled first.
    func schedule(after seconds: TimeInterval, _ action: @escaping @Sendable () -> Void) -> any DeadlineAlarm
}

/// A scheduled action of a `DeadlineClock`.
public protocol DeadlineAlarm: Sendable {
    /// The action will not run (harmless once it has run).
    func cancel()
}

/// A one-shot `DispatchSourceTimer` on a global queue. Dispatch's wall time is the monotonic
/// clock: setting the system clock neither fires nor delays a job's timeout.
public struct DispatchDeadlineClock: DeadlineClock {
    public init() {}

    public func schedule(after seconds: TimeInterval, _ action: @escaping @Sendable () -> Void) -> any DeadlineAlarm {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        // A timeout of years would overflow DispatchTime: clamp to about 68 years.
        let nanoseconds = Int(min(max(seconds, 0), Double(Int32.max)) * 1e9)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), leeway: .milliseconds(100))
        timer.setEventHandler(handler: action)
        timer.resume()
        return DispatchAlarm(timer: timer)
    }

    private final class DispatchAlarm: DeadlineAlarm, @unchecked Sendable {
        // @unchecked: a Dispatch source may be cancelled from any thread; Dispatch's Swift overlay does not say so.
        let timer: any DispatchSourceTimer
        init(timer: any DispatchSourceTimer) { self.timer = timer }
        func cancel() { timer.cancel() }
    }
}
