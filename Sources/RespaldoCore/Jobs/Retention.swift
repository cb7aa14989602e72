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
        let rules = self.rules(policy, timeZone: timeZone)
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

    /// One rule of the policy: its name (as in "daily 2026-11-21"), how many buckets it keeps,
    /// and the bucket of a time ("last" puts every snapshot in a bucket of its own).
    struct Rule {
        var name: String
        var count: Int
        var bucket: (Date) -> String
    }

    static func rules(_ policy: RetentionPolicy, timeZone: TimeZone) -> [Rule] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var isoCalendar = Calendar(identifier: .iso8601)
        isoCalendar.timeZone = timeZone
        return [
            Rule(name: "last", count: policy.keepLast, bucket: { _ in UUID().uuidString }),
            Rule(name: "daily", count: policy.keepDaily, bucket: { date in
                let c = calendar.dateComponents([.year, .month, .day], from: date)
                return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            }),
            Rule(name: "weekly", count: policy.keepWeekly, bucket: { date in
                let c = isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
                return String(format: "%04d-W%02d", c.yearForWeekOfYear!, c.weekOfYear!)
            }),
            Rule(name: "monthly", count: policy.keepMonthly, bucket: { date in
                let c = calendar.dateComponents([.year, .month], from: date)
                return String(format: "%04d-%02d", c.year!, c.month!)
            }),
            Rule(name: "yearly", count: policy.keepYearly, bucket: { date in String(calendar.component(.year, from: date)) }),
        ]
    }
}
