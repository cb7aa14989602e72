import Foundation

/// What the daemon does on start about fires it missed while it was down.
public enum CatchUp {
    /// The scheduled time to catch up on, or nil when nothing was missed: the most recent
    /// fire at or before `now` if it is later than `lastSuccess`. One catch-up run, however
    /// many fires were missed; its result counts as that fire's run.
    ///
    /// `lastSuccess` is when the last successful run started (a run that started at its fire
    /// time covers it). nil, a job with no successful run on record, gives nil: a new job
    /// waits for its first scheduled time rather than running the moment the daemon starts.
    /// `now` is passed in so the decision can be tested with any clock.
    public static func missedRun(schedule: Schedule, zone: TimeZone, lastSuccess: Date?, now: Date) -> Date? {
        guard let lastSuccess, let last = schedule.lastFire(atOrBefore: now, in: zone), last > lastSuccess else {
            return nil
        }
        return last
    }
}
