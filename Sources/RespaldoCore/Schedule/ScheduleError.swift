/// Why a schedule string was refused. Every message quotes the schedule and, for cron,
/// names the field and the value: `cron "0 25 * * *": hour 25 out of range 0-23`.
public enum ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither `HH:MM` nor five cron fields; `fields` is how many whitespace-separated
    /// words the text has.
    case unrecognized(text: String, fields: Int)
    /// A daily `HH:MM` whose hour or minute is out of range.
    case badTimeOfDay(text: String, problem: String)
    /// One cron field holds something other than numbers, names, `*`, ranges, lists and
    /// steps within the field's range.
    case badField(expression: String, field: CronField, problem: String)
    /// A well-formed cron expression that no date satisfies, like `0 0 31 2 *`.
    case neverMatches(expression: String, problem: String)

    public var description: String {
        let expected = "expected \"HH:MM\" (daily) or a 5-field cron expression like \"0 1 * * *\""
        switch self {
        case let .unrecognized(text, fields):
            if text.contains(":") {
                return "\"\(text)\": \(expected); a time of day has two digits each side of the colon"
            }
            if fields == 6 {
                return "\"\(text)\": has 6 fields (a seconds or year field is not supported); \(expected)"
            }
            return "\"\(text)\": has \(fields) field\(fields == 1 ? "" : "s"); \(expected)"
        case let .badTimeOfDay(text, problem):
            return "\"\(text)\": \(problem) (a daily time is 00:00-23:59)"
        case let .badField(expression, field, problem):
            return "cron \"\(expression)\": \(field.name) \(problem)"
        case let .neverMatches(expression, problem):
            return "cron \"\(expression)\": never matches: \(problem)"
        }
    }
}

/// The five fields of a cron expression, in order.
public enum CronField: Int, Sendable, Equatable, CaseIterable {
    case minute, hour, dayOfMonth, month, dayOfWeek

    public var name: String {
        switch self {
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    /// The values a field may hold; day-of-week takes 7 as well as 0 for Sunday.
    var range: ClosedRange<Int> {
        switch self {
        case .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    /// Three-letter names, case-insensitive, for the fields that have them.
    var names: [String] {
        switch self {
        case .month: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        case .dayOfWeek: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        default: []
        }
    }

    /// The value of the first name (JAN is 1, SUN is 0).
    var firstNameValue: Int { self == .month ? 1 : 0 }
}
