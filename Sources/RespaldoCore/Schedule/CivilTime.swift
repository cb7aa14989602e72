/// Proleptic Gregorian calendar arithmetic on plain integers.
///
/// Schedules are matched against wall-clock time as a count of seconds since 1970-01-01
/// 00:00 on the wall clock ("local seconds"), with no time zone attached; ZoneClock maps
/// that to instants. Doing the calendar here rather than with Foundation's Calendar keeps
/// the DST rules in one place (ZoneClock) and the matching free of hidden zone behaviour.
enum CivilTime {
    static let secondsPerDay: Int64 = 86_400

    /// Days in the 400-year Gregorian cycle: every (month, day, weekday) combination that
    /// can occur does so within one cycle, which bounds every schedule search.
    static let daysPerCycle: Int64 = 146_097

    struct Date: Equatable {
        var year: Int64
        /// 1...12
        var month: Int
        /// 1...31
        var day: Int
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * daysPerCycle + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
    static func date(days: Int64) -> Date {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - (daysPerCycle - 1)) / daysPerCycle
        let dayOfEra = z - era * daysPerCycle
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return Date(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// 0 Sunday ... 6 Saturday (1970-01-01 was a Thursday).
    static func weekday(days: Int64) -> Int {
        Int(((days % 7) + 7 + 4) % 7)
    }

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Floor division: the day of a negative local time is the one before 1970, not after.
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
