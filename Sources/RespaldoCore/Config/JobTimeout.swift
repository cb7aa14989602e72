import Foundation

extension JobConfig {
    /// A job's `timeout` when the config gives none: a day. A daily job's hung run is then cut
    /// before the next day's run falls due (and with `max_parallel = 1`, before it has held up
    /// every other job for more than a day), while a dump that is merely large and slow (a
    /// terabyte at 50 MB/s takes under 6 hours) is never cut by default.
    public static let defaultTimeout = ConfigDuration(seconds: 24 * 3600)
}

extension ConfigParser {
    /// `timeout = "6h"`: the longest a run of the job may take, from the dump to the last
    /// upload; past it the run is cancelled like SIGTERM and fails.
    func parseJobTimeout(_ s: ConfigSection) throws -> ConfigDuration {
        try s.duration("timeout", examples: "\"6h\", \"90m\" or \"1d12h\" (the default is \(JobConfig.defaultTimeout))")
            ?? JobConfig.defaultTimeout
    }
}
