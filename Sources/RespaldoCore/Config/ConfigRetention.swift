/// `[retention]`: how many complete snapshots of each job are kept.
extension ConfigParser {
    func parseRetention(_ s: ConfigSection) throws -> RetentionPolicy {
        try s.checkKeys(["keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"])
        return RetentionPolicy(
            keepLast: try s.int("keep_last", min: 0) ?? 0,
            keepDaily: try s.int("keep_daily", min: 0) ?? 0,
            keepWeekly: try s.int("keep_weekly", min: 0) ?? 0,
            keepMonthly: try s.int("keep_monthly", min: 0) ?? 0,
            keepYearly: try s.int("keep_yearly", min: 0) ?? 0)
    }
}
