import Foundation
import Synchronization

@testable import RespaldoCore

/// A daemon clock and timer that stand still until the test moves them: `now` is the
/// daemon's injected clock, and a `wait` until a deadline returns `.deadline` only once
/// `advance` has passed it, however long or short that takes in real time.
///
/// The blocking itself is a real `WakeTimer` without a deadline, which `advance` interrupts
/// as `wake` does: the daemon's loop takes any wake as a reason to look at the time again.
final class ManualWakeTimer: DaemonTimer {
    private let clock: Mutex<Date>
    private let blocking: WakeTimer

    init(now: Date) throws {
        clock = Mutex(now)
        blocking = try WakeTimer()
    }

    var now: Date { clock.withLock { $0 } }

    /// Sets the clock to `date` (never backwards) and wakes the daemon.
    func advance(to date: Date) {
        clock.withLock { $0 = max($0, date) }
        blocking.wake()
    }

    func wake() {
        blocking.wake()
    }

    func wait(until deadline: Date?, timeout: Double?) -> WakeReason {
        if let deadline, now >= deadline { return .deadline }
        // The watchdog's timeout stays real time: it paces pings, not schedules.
        let reason = blocking.wait(until: nil, timeout: timeout)
        if reason == .woken, let deadline, now >= deadline { return .deadline }
        return reason
    }
}
