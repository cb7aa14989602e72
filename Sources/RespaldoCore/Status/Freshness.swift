import Foundation

/// How old the newest snapshot of a job may be before it is stale, derived from its schedule:
/// twice the longest gap between two of its runs, plus an hour. One missed or failed run is
/// not yet stale (the next one may still make it); two in a row are. The hour covers a long
/// dump. A daily job is stale after 49 h; hourly after 3 h; weekdays only after 3 × 24 × 2 + 1
/// = 145 h (the weekend gap counts). A job without a schedule has no limit: nothing says
/// when it should have run. The same rule gives a scheduled drill's overdue limit.
public enum Freshness {
    public static let slack: TimeInterval = 3600
    /// Gaps looked at: enough to see a weekend in a weekday schedule and a short month.
    static let sampledRuns = 40

    /// The limit for `schedule` in `zone`, looking at its runs around `now`.
    public static func limit(of schedule: Schedule, in zone: TimeZone, now: Date) -> TimeInterval {
        let previous = schedule.lastFire(atOrBefore: now, in: zone).map { [$0] } ?? []
        let times = previous + schedule.fireTimes(after: now, in: zone, count: sampledRuns)
        let longest = zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? 86_400
        return 2 * longest + slack
    }

    /// "49h", "6d 1h", "45m": how limits and ages read in `status`.
    public static func describe(_ seconds: TimeInterval) -> String {
        let total = Int(max(seconds, 0))
        let days = total / 86_400, hours = (total % 86_400) / 3600, minutes = (total % 3600) / 60
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(minutes)m" }
        if days == 0 { return minutes == 0 ? "\(hours)h" : "\(hours)h \(minutes)m" }
        return hours == 0 ? "\(days)d" : "\(days)d \(hours)h"
    }
}
