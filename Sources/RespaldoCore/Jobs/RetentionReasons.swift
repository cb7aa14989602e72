import Foundation

extension Retention {
    /// Why each snapshot that `decide` removes is not kept, rule by rule, as `prune` prints it:
    /// "not among the 3 newest (keep_last = 3); day 2026-11-20 keeps a newer one (keep_daily =
    /// 7); week 2026-W44 is older than the 4 newest weeks kept (keep_weekly = 4)". Only the
    /// rules the policy uses are named. Keyed by id; kept snapshots have no entry.
    public static func removalReasons(_ snapshots: [(id: String, time: Date)], policy: RetentionPolicy, timeZone: TimeZone) -> [String: String] {
        let decisions = decide(snapshots, policy: policy, timeZone: timeZone)
        let removed = Set(decisions.filter { !$0.keep }.map(\.id))
        guard !removed.isEmpty else { return [:] }
        let newestFirst = snapshots.sorted { $0.time > $1.time }
        var reasons: [String: [String]] = [:]
        for rule in rules(policy, timeZone: timeZone) where rule.count > 0 {
            let key = "keep_\(rule.name) = \(rule.count)"
            guard rule.name != "last" else {
                for id in removed { reasons[id, default: []].append("not among the \(rule.count) newest (\(key))") }
                continue
            }
            // The buckets this rule keeps: the first `count` distinct ones, newest first.
            var kept: [String] = []
            var bucketOf: [String: String] = [:]
            for snapshot in newestFirst {
                let bucket = rule.bucket(snapshot.time)
                bucketOf[snapshot.id] = bucket
                if kept.last != bucket && kept.count < rule.count && !kept.contains(bucket) { kept.append(bucket) }
            }
            let unit = ["daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"][rule.name] ?? rule.name
            for id in removed {
                guard let bucket = bucketOf[id] else { continue }
                reasons[id, default: []].append(kept.contains(bucket)
                    ? "\(unit) \(bucket) keeps a newer one (\(key))"
                    : "\(unit) \(bucket) is older than the \(rule.count) newest \(unit)s kept (\(key))")
            }
        }
        return reasons.mapValues { $0.joined(separator: "; ") }
    }
}
