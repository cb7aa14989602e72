import Foundation

/// restic's `forget` policy: keep the newest `keep_last` snapshots, and the newest snapshot of
/// each of the newest `keep_daily` days, `keep_weekly` ISO weeks, `keep_monthly` months and
/// `keep_yearly` years that have snapshots; calendar buckets in the configured time zone.
/// A snapshot is kept when any rule keeps it. The newest snapshot is always kept, and a policy
/// of all zeros keeps everything.
public enum Retention {
    public struct Decision: Sendable, Equatable {
        public var id: String
        public var keep: Bool
        /// Why it is kept ("last", "daily 2026-11-21", …); empty for a snapshot to remove.
        public var reasons: [String]
    }

    /// `snapshots` in any order; decisions come back newest first.
    public static func decide(_ snapshots: [(id: String, time: Date)], policy: RetentionPolicy, timeZone: TimeZone) -> [Decision] {
        let newestFirst = snapshots.sorted { $0.time > $1.time }
        var decisions = newestFirst.map { Decision(id: $0.id, keep: false, reasons: []) }
        guard !policy.keepsEverything else {
            return decisions.map { Decision(id: $0.id, keep: true, reasons: ["no retention policy"]) }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var isoCalendar = Calendar(identifier: .iso8601)
        isoCalendar.timeZone = timeZone

        let rules: [(name: String, count: Int, bucket: (Date) -> String)] = [
            ("last", policy.keepLast, { _ in UUID().uuidString }),  // every snapshot its own bucket
            ("daily", policy.keepDaily, { date in
                let c = calendar.dateComponents([.year, .month, .day], from: date)
                return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            }),
            ("weekly", policy.keepWeekly, { date in
                let c = isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
                return String(format: "%04d-W%02d", c.yearForWeekOfYear!, c.weekOfYear!)
            }),
            ("monthly", policy.keepMonthly, { date in
                let c = calendar.dateComponents([.year, .month], from: date)
                return String(format: "%04d-%02d", c.year!, c.month!)
            }),
            ("yearly", policy.keepYearly, { date in String(calendar.component(.year, from: date)) }),
        ]
        for rule in rules where rule.count > 0 {
            var remaining = rule.count
            var lastBucket: String?
            for (index, snapshot) in newestFirst.enumerated() where remaining > 0 {
                let bucket = rule.bucket(snapshot.time)
                guard bucket != lastBucket else { continue }
                lastBucket = bucket
                decisions[index].keep = true
                decisions[index].reasons.append(rule.name == "last" ? "last" : "\(rule.name) \(bucket)")
                remaining -= 1
            }
        }
        if !decisions.isEmpty && !decisions[0].keep {
            decisions[0].keep = true
            decisions[0].reasons.append("newest")
        }
        return decisions
    }
}
