import Foundation

/// When a job runs: a daily `"HH:MM"` or a 5-field cron expression (see ScheduleParser for
/// the cron dialect), read on the wall clock of a time zone.
///
/// DST: a wall time that happens twice (fall back) fires once, at its first occurrence, and
/// nothing fires again while the repeated hour replays; a wall time that a spring-forward
/// gap skips fires once at the first instant after the gap, and several skipped times (a
/// `*/15` through the gap) collapse into that one fire.
///
/// Every search is bounded: a parsed schedule always matches within one 400-year Gregorian
/// cycle (an expression that never matches, like `0 0 31 2 *`, is refused by `parse`), and
/// the search walks whole days and skips whole months that cannot match.
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    /// The text it was parsed from, trimmed.
    public let text: String
    let spec: CronSpec

    public var description: String { text }

    /// Parses `"HH:MM"` (daily, 00:00-23:59) or five cron fields (minute hour
    /// day-of-month month day-of-week).
    public static func parse(_ text: String) throws(ScheduleError) -> Schedule {
        Schedule(text: text.trimmingCharacters(in: .whitespaces), spec: try ScheduleParser.parse(text))
    }

    /// The first fire strictly after `instant`. Date.distantFuture when nothing matches
    /// within 400 years (which `parse` rules out) or `instant` is past year 30,000 or NaN.
    public func nextFire(after instant: Date, in zone: TimeZone) -> Date {
        let clock = ZoneClock(zone: zone)
        let exact = instant.timeIntervalSince1970
        guard exact < ZoneClock.limit else { return .distantFuture }
        let after = ZoneClock.seconds(instant)
        // A fire after `instant` is for a wall time later than the wall time at `instant`
        // (at least the next whole minute). One that comes earlier is a wall time whose fire
        // has already passed: `instant` is in the replay of a fall-back hour. Those are
        // stepped over one by one; there are at most an hour's worth of them.
        var lowest = (CivilTime.floorDiv(clock.wallTime(at: after), 60) + 1) * 60
        for _ in 0..<10_000 {
            guard let wall = spec.firstMatch(atOrAfter: lowest) else { break }
            let fire = clock.firstInstant(reaching: wall)
            if TimeInterval(fire) > exact { return ZoneClock.date(fire) }
            lowest = wall + 60
        }
        return .distantFuture
    }

    /// The most recent fire at or before `instant` (or before year 30,000 when `instant` is
    /// later), or nil if there is none within 400 years (impossible for a parsed schedule)
    /// or `instant` is NaN.
    public func lastFire(atOrBefore instant: Date, in zone: TimeZone) -> Date? {
        guard !instant.timeIntervalSince1970.isNaN else { return nil }
        let clock = ZoneClock(zone: zone)
        let until = ZoneClock.seconds(instant)
        // The last matching wall time not after the wall time at `instant` has fired by
        // then. During the replay of a fall-back hour, later wall times (first occurrences)
        // have fired too; the forward steps find them.
        guard let wall = spec.lastMatch(atOrBefore: clock.wallTime(at: until)) else { return nil }
        var fire = ZoneClock.date(clock.firstInstant(reaching: wall))
        while true {
            // Fires are whole seconds, so comparing with `until` is comparing with `instant`,
            // or with the clamp for an instant beyond it.
            let next = nextFire(after: fire, in: zone)
            guard next != .distantFuture, next.timeIntervalSince1970 <= TimeInterval(until) else { return fire }
            fire = next
        }
    }

    /// The next `count` fires strictly after `instant`, in order.
    public func fireTimes(after instant: Date, in zone: TimeZone, count: Int) -> [Date] {
        var out: [Date] = []
        var last = instant
        while out.count < count {
            last = nextFire(after: last, in: zone)
            if last == .distantFuture { break }
            out.append(last)
        }
        return out
    }
}
