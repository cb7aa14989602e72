import Foundation

/// The timestamps of allowed_signers' `valid-after` and `valid-before` options, read as
/// OpenSSH's `parse_absolute_time` reads them: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, in the given (local) time zone unless suffixed with `Z` (or `UTC`).
///
/// One OpenSSH quirk is kept on purpose: it hands `mktime` a zeroed `struct tm`, whose
/// `tm_isdst = 0` makes a local time count as *standard* time even in summer (in
/// Europe/Berlin, "202407011200" is 11:00 UTC, not 10:00). Reading it the same way keeps one
/// allowed_signers file meaning the same instant to ssh-keygen and to respaldo on one host.
enum SSHTimestamp {
    static func parse(_ text: String, timeZone: TimeZone) -> Date? {
        var digits = Array(text.utf8)
        var zone = timeZone
        if digits.count > 1, digits.last == UInt8(ascii: "Z") || digits.last == UInt8(ascii: "z") {
            digits.removeLast()
            zone = TimeZone(identifier: "UTC") ?? timeZone
        } else if digits.count > 3, String(decoding: digits.suffix(3), as: UTF8.self).uppercased() == "UTC" {
            digits.removeLast(3)
            zone = TimeZone(identifier: "UTC") ?? timeZone
        }
        guard [8, 12, 14].contains(digits.count),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        func number(_ start: Int, _ length: Int) -> Int {
            digits[start..<start + length].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        let year = number(0, 4), month = number(4, 2), day = number(6, 2)
        let hour = digits.count >= 12 ? number(8, 2) : 0
        let minute = digits.count >= 12 ? number(10, 2) : 0
        let second = digits.count == 14 ? number(12, 2) : 0
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let wallClockAsUTC = calendar.date(from: components) else { return nil }
        let standardOffset = zone.secondsFromGMT(for: wallClockAsUTC) - Int(zone.daylightSavingTimeOffset(for: wallClockAsUTC))
        let date = wallClockAsUTC.addingTimeInterval(-TimeInterval(standardOffset))
        // OpenSSH refuses times at or before the epoch (its "unset" value is 0).
        guard date.timeIntervalSince1970 > 0 else { return nil }
        return date
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
