import Foundation

/// Parses `HH:MM` and 5-field cron text into a CronSpec.
///
/// Cron follows Vixie cron (the `crontab(5)` of Debian's cron): `*`, numbers, lists
/// `1,15`, ranges `1-5`, steps `*/15` and `1-10/3`, three-letter month and weekday names in
/// any case (also in ranges, `MON-FRI`), 0 and 7 both Sunday. Beyond Vixie: `5/10` means
/// `5-<max>/10` (as in most other crons), and a weekday range may end on SUN (`FRI-SUN`).
enum ScheduleParser {
    static func parse(_ raw: String) throws(ScheduleError) -> CronSpec {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if fields.count == 1 && text.contains(":") {
            return try parseTimeOfDay(text)
        }
        guard fields.count == 5 else { throw .unrecognized(text: text, fields: fields.count) }
        return try parseCron(text, fields: fields)
    }

    /// `HH:MM`, two ASCII digits each side.
    static func parseTimeOfDay(_ text: String) throws(ScheduleError) -> CronSpec {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }),
              let hour = Int(parts[0]), let minute = Int(parts[1])
        else { throw .unrecognized(text: text, fields: 1) }
        guard CronField.hour.range.contains(hour) else {
            throw .badTimeOfDay(text: text, problem: "hour \(hour) out of range 0-23")
        }
        guard CronField.minute.range.contains(minute) else {
            throw .badTimeOfDay(text: text, problem: "minute \(minute) out of range 0-59")
        }
        return .daily(hour: hour, minute: minute)
    }

    static func parseCron(_ text: String, fields: [Substring]) throws(ScheduleError) -> CronSpec {
        var bits: [UInt64] = []
        for field in CronField.allCases {
            bits.append(try parseField(fields[field.rawValue], field, expression: text))
        }
        // Sunday is both 0 and 7.
        let weekdays = bits[4] & 0x7F | (bits[4] >> 7 & 1)
        let spec = CronSpec(
            minutes: bits[0], hours: UInt32(bits[1]), daysOfMonth: UInt32(bits[2]), months: UInt16(bits[3]),
            daysOfWeek: UInt8(weekdays),
            eitherDayField: !fields[2].hasPrefix("*") && !fields[4].hasPrefix("*"))
        if !spec.eitherDayField, let problem = impossibleDays(spec, dayField: fields[2], monthField: fields[3]) {
            throw .neverMatches(expression: text, problem: problem)
        }
        return spec
    }

    /// Why no month in the set has any day in the day-of-month set (`31 2`), or nil. Any
    /// weekday restriction is satisfiable: every date falls on every weekday within 400
    /// years, so only these two fields can make a schedule empty.
    static func impossibleDays(_ spec: CronSpec, dayField: Substring, monthField: Substring) -> String? {
        for month in 1...12 where spec.hasMonth(month) {
            // February has 29 days in a leap year.
            let longest = month == 2 ? 29 : CivilTime.daysInMonth(year: 2001, month: month)
            if spec.daysOfMonth & (CronSpec.allBits(1...longest)) != 0 { return nil }
        }
        return "day-of-month \"\(dayField)\" never occurs in month \"\(monthField)\""
    }

    /// One field: a comma-separated list of `*`, `N`, `A-B`, each optionally `/STEP`.
    static func parseField(_ text: Substring, _ field: CronField, expression: String) throws(ScheduleError) -> UInt64 {
        func fail(_ problem: String) -> ScheduleError {
            .badField(expression: expression, field: field, problem: problem)
        }
        var bits: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw fail("\"\(text)\" has an empty list item") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail("\"\(item)\" has more than one step") }
            var step = 1
            if parts.count == 2 {
                guard parts[1].count <= 4, parts[1].allSatisfy(\.isASCIIDigit), let n = Int(parts[1]), n >= 1 else {
                    throw fail("step \"\(parts[1])\" in \"\(item)\" is not a number of at least 1")
                }
                step = n
            }
            var low: Int, high: Int
            if parts[0] == "*" {
                (low, high) = (field.range.lowerBound, field.range.upperBound)
            } else {
                let ends = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2 else { throw fail("\"\(item)\" is not a value, a range A-B or a step") }
                low = try value(ends[0], field, fail)
                if ends.count == 2 {
                    high = try value(ends[1], field, fail)
                    // FRI-SUN: a weekday range that ends on Sunday by name wraps to 7.
                    if field == .dayOfWeek, high == 0, low > 0, ends[1].uppercased() == "SUN" { high = 7 }
                    guard low <= high else { throw fail("range \"\(parts[0])\" is reversed (\(low) > \(high))") }
                } else {
                    // `5/10` steps from 5 to the end of the range; a lone `5` is just 5.
                    high = parts.count == 2 ? field.range.upperBound : low
                }
            }
            for v in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(v) }
        }
        return bits
    }

    /// A number within the field's range, or a name for months and weekdays.
    static func value(_ text: Substring, _ field: CronField, _ fail: (String) -> ScheduleError) throws(ScheduleError) -> Int {
        let range = field.range
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            guard text.count <= 4, let n = Int(text), range.contains(n) else {
                throw fail("\(text) out of range \(range.lowerBound)-\(range.upperBound)")
            }
            return n
        }
        if let index = field.names.firstIndex(of: text.uppercased()) {
            return field.firstNameValue + index
        }
        let expected = switch field {
        case .month: "a number 1-12 or a month name (JAN-DEC)"
        case .dayOfWeek: "a number 0-7 or a weekday name (SUN-SAT)"
        default: "a number \(range.lowerBound)-\(range.upperBound)"
        }
        throw fail("\"\(text)\" is not \(expected)")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
