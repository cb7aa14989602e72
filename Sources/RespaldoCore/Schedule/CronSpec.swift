/// The set of wall-clock minutes a schedule names, as bit sets per field, and the search
/// for the next or previous such minute on a bare wall clock (no time zone: ZoneClock
/// turns wall time into instants).
struct CronSpec: Sendable, Hashable {
    /// Bits 0-59.
    var minutes: UInt64
    /// Bits 0-23.
    var hours: UInt32
    /// Bits 1-31.
    var daysOfMonth: UInt32
    /// Bits 1-12.
    var months: UInt16
    /// Bits 0-6, Sunday is 0.
    var daysOfWeek: UInt8
    /// Vixie cron's rule: when both day fields are restricted (neither starts with `*`), a
    /// day matches if EITHER matches; otherwise both must.
    var eitherDayField: Bool

    /// A daily `HH:MM`.
    static func daily(hour: Int, minute: Int) -> CronSpec {
        CronSpec(
            minutes: 1 << UInt64(minute), hours: 1 << UInt32(hour), daysOfMonth: allBits(1...31),
            months: UInt16(allBits(1...12)), daysOfWeek: UInt8(allBits(0...6)), eitherDayField: false)
    }

    static func allBits(_ range: ClosedRange<Int>) -> UInt32 {
        range.reduce(0) { $0 | (1 << UInt32($1)) }
    }

    /// Farther than any satisfiable schedule's next match (see CivilTime.daysPerCycle).
    static let horizonDays = CivilTime.daysPerCycle + 400

    func hasMonth(_ month: Int) -> Bool { months & (1 << UInt16(month)) != 0 }

    func matches(day: Int64, date: CivilTime.Date) -> Bool {
        let dom = daysOfMonth & (1 << UInt32(date.day)) != 0
        let dow = daysOfWeek & (1 << UInt8(CivilTime.weekday(days: day))) != 0
        return eitherDayField ? (dom || dow) : (dom && dow)
    }

    /// The first matching minute of the day at or after `minuteOfDay` (0...1440), or nil.
    func firstMinute(from minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60, minute = minuteOfDay % 60
        while hour < 24 {
            if hours & (1 << UInt32(hour)) != 0 {
                let rest = minutes >> UInt64(minute)
                if rest != 0 { return hour * 60 + minute + rest.trailingZeroBitCount }
            }
            hour += 1
            minute = 0
        }
        return nil
    }

    /// The last matching minute of the day at or before `minuteOfDay` (0...1439), or nil.
    func lastMinute(upTo minuteOfDay: Int) -> Int? {
        var hour = minuteOfDay / 60, minute = minuteOfDay % 60
        while hour >= 0 {
            if hours & (1 << UInt32(hour)) != 0 {
                let upTo = minutes & ((1 << UInt64(minute + 1)) - 1)
                if upTo != 0 { return hour * 60 + (63 - upTo.leadingZeroBitCount) }
            }
            hour -= 1
            minute = 59
        }
        return nil
    }

    /// The first matching minute at or after the wall time `local` (seconds), or nil past
    /// the horizon (only for a spec that can never match).
    func firstMatch(atOrAfter local: Int64) -> Int64? {
        var day = CivilTime.floorDiv(local, CivilTime.secondsPerDay)
        let second = local - day * CivilTime.secondsPerDay
        var minute = Int((second + 59) / 60)
        let lastDay = day + Self.horizonDays
        while day <= lastDay {
            let date = CivilTime.date(days: day)
            guard hasMonth(date.month) else {
                // Skip the rest of a month that is not in the set.
                let next = date.month == 12 ? (date.year + 1, 1) : (date.year, date.month + 1)
                day = CivilTime.days(year: next.0, month: next.1, day: 1)
                minute = 0
                continue
            }
            if matches(day: day, date: date), let found = firstMinute(from: minute) {
                return day * CivilTime.secondsPerDay + Int64(found) * 60
            }
            day += 1
            minute = 0
        }
        return nil
    }

    /// The last matching minute at or before the wall time `local` (seconds), or nil past
    /// the horizon.
    func lastMatch(atOrBefore local: Int64) -> Int64? {
        var day = CivilTime.floorDiv(local, CivilTime.secondsPerDay)
        var minute = Int((local - day * CivilTime.secondsPerDay) / 60)
        let firstDay = day - Self.horizonDays
        while day >= firstDay {
            let date = CivilTime.date(days: day)
            guard hasMonth(date.month) else {
                day = CivilTime.days(year: date.year, month: date.month, day: 1) - 1
                minute = 1439
                continue
            }
            if matches(day: day, date: date), let found = lastMinute(upTo: minute) {
                return day * CivilTime.secondsPerDay + Int64(found) * 60
            }
            day -= 1
            minute = 1439
        }
        return nil
    }
}
