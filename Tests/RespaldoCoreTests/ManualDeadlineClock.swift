import Foundation
import Synchronization

@testable import RespaldoCore

/// A `DeadlineClock` that stands still until the test advances it: a deadline of hours fires
/// the moment `advance` passes it, on the advancing thread.
final class ManualDeadlineClock: DeadlineClock {
    private struct Alarm {
        var at: TimeInterval
        var action: @Sendable () -> Void
        var cancelled: Bool
    }

    private let state = Mutex<(now: TimeInterval, alarms: [Int: Alarm], next: Int)>((0, [:], 0))

    /// Alarms scheduled and neither fired nor cancelled.
    var pending: Int { state.withLock { $0.alarms.values.filter { !$0.cancelled }.count } }

    func schedule(after seconds: TimeInterval, _ action: @escaping @Sendable () -> Void) -> any DeadlineAlarm {
        let id = state.withLock { state -> Int in
            state.next += 1
            state.alarms[state.next] = Alarm(at: state.now + seconds, action: action, cancelled: false)
            return state.next
        }
        return Handle(clock: self, id: id)
    }

    /// Moves the clock on and fires every alarm that falls due, in order.
    func advance(by seconds: TimeInterval) {
        let due = state.withLock { state -> [@Sendable () -> Void] in
            state.now += seconds
            let fired = state.alarms.filter { !$0.value.cancelled && $0.value.at <= state.now }.sorted { $0.value.at < $1.value.at }
            for (id, _) in fired { state.alarms.removeValue(forKey: id) }
            return fired.map(\.value.action)
        }
        due.forEach { $0() }
    }

    fileprivate func cancel(_ id: Int) {
        state.withLock { _ = $0.alarms.removeValue(forKey: id) }
    }

    private struct Handle: DeadlineAlarm {
        let clock: ManualDeadlineClock
        let id: Int
        func cancel() { clock.cancel(id) }
    }
}
