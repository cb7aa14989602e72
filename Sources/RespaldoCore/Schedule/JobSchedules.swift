import Foundation

extension Config {
    /// The zone a job's schedules (backup and drill) run in: the job's own `timezone`, else
    /// the configuration's.
    public func timeZone(for job: JobConfig) -> TimeZone {
        TimeZone(identifier: job.timezone ?? timezone) ?? TimeZone(identifier: timezone) ?? .gmt
    }
}

extension JobConfig {
    /// The backup schedule; nil for a job that runs only by hand. Validated at load, so it
    /// parses.
    public var backupSchedule: Schedule? { schedule.flatMap { try? Schedule.parse($0) } }

    /// The `[jobs.drill] schedule`, run by the daemon on a DR host; nil when unset.
    public var drillSchedule: Schedule? { drill?.schedule.flatMap { try? Schedule.parse($0) } }
}

/// Which `timezone` values the configuration accepts.
enum ZoneName {
    /// Why `name` is not usable as a time zone, or nil. Foundation also accepts fixed
    /// offsets like `UTC+3`, which are no IANA names and read backwards to anyone used to
    /// POSIX TZ (where `UTC+3` is three hours behind): they are refused with a pointer to
    /// the IANA spelling.
    static func problem(_ name: String) -> String? {
        guard TimeZone(identifier: name) != nil else {
            return "\"\(name)\" is not a known IANA time zone (like \"America/Mexico_City\" or \"UTC\")"
        }
        let upper = name.uppercased()
        // GMT0 and GMT+0 are IANA links and harmless.
        if upper.hasPrefix("UTC") || upper.hasPrefix("GMT"), upper.dropFirst(3).contains(where: { "123456789".contains($0) }) {
            return "\"\(name)\" is a fixed offset, not an IANA time zone name: use the zone of a place "
                + "(like \"Europe/Moscow\"), or for a fixed offset \"Etc/GMT-3\" (POSIX signs: that is UTC+03:00)"
        }
        return nil
    }
}
