import Foundation

/// RFC 3339 timestamps for schedules: written in a zone's own offset
/// (`2026-11-21T01:00:00-06:00`) so an operator sees the wall time that fires, and read with
/// `Z` or any offset.
public enum RFC3339 {
    /// `instant` on `zone`'s wall clock with that zone's offset, whole seconds (truncated).
    /// The offset is always numeric, `+00:00` in UTC too, so every line has one shape.
    public static func format(_ instant: Date, in zone: TimeZone) -> String {
        let seconds = ZoneClock.seconds(instant)
        // RFC 3339 offsets have no seconds (old local mean times do): drop them and show the
        // same instant with the whole-minute offset.
        let offset = ZoneClock(zone: zone).offset(at: seconds) / 60 * 60
        let wall = seconds + offset
        let day = CivilTime.floorDiv(wall, CivilTime.secondsPerDay)
        let date = CivilTime.date(days: day)
        let second = wall - day * CivilTime.secondsPerDay
        var out = pad(date.year, 4) + "-" + pad(Int64(date.month), 2) + "-" + pad(Int64(date.day), 2)
        out += "T" + pad(second / 3600, 2) + ":" + pad(second / 60 % 60, 2) + ":" + pad(second % 60, 2)
        let minutes = abs(offset) / 60
        return out + (offset < 0 ? "-" : "+") + pad(minutes / 60, 2) + ":" + pad(minutes % 60, 2)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`, `z` and a space for `T` are
    /// accepted too (RFC 3339 section 5.6). A time without an offset is refused: it would
    /// name two instants on a fall-back day.
    public static func parse(_ text: String) throws(RFC3339Error) -> Date {
        let b = Array(text.utf8)
        func fail(_ reason: String) -> RFC3339Error { .invalid(text: text, reason: reason) }
        func number(_ at: Int, _ digits: Int) -> Int? {
            guard at + digits <= b.count else { return nil }
            var n = 0
            for byte in b[at..<(at + digits)] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                n = n * 10 + Int(byte - 0x30)
            }
            return n
        }
        func byte(_ at: Int) -> UInt8? { at < b.count ? b[at] : nil }

        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2),
              byte(7) == UInt8(ascii: "-"), let day = number(8, 2)
        else { throw fail("expected a date YYYY-MM-DD first") }
        guard let t = byte(10), t == UInt8(ascii: "T") || t == UInt8(ascii: "t") || t == UInt8(ascii: " "),
              let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2),
              byte(16) == UInt8(ascii: ":"), let second = number(17, 2)
        else { throw fail("expected a time THH:MM:SS after the date") }
        guard (1...12).contains(month) else { throw fail("month \(month) out of range 1-12") }
        let lastDay = CivilTime.daysInMonth(year: Int64(year), month: month)
        guard (1...lastDay).contains(day) else { throw fail("day \(day) out of range 1-\(lastDay) for \(year)-\(pad(Int64(month), 2))") }
        guard hour <= 23 else { throw fail("hour \(hour) out of range 0-23") }
        guard minute <= 59 else { throw fail("minute \(minute) out of range 0-59") }
        // 60 is a leap second; POSIX time has none, so it is the next minute's first second.
        guard second <= 60 else { throw fail("second \(second) out of range 0-60") }

        var at = 19
        var fraction = 0.0
        if byte(at) == UInt8(ascii: ".") {
            at += 1
            var scale = 0.1
            let start = at
            while let d = byte(at), d >= 0x30 && d <= 0x39 {
                fraction += Double(d - 0x30) * scale
                scale /= 10
                at += 1
            }
            guard at > start else { throw fail("expected digits after the decimal point") }
        }
        let offset: Int
        switch byte(at) {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            offset = 0
            at += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = number(at + 1, 2), byte(at + 3) == UInt8(ascii: ":"), let om = number(at + 4, 2),
                  oh <= 23, om <= 59
            else { throw fail("expected an offset ±HH:MM") }
            offset = (oh * 60 + om) * 60 * (b[at] == UInt8(ascii: "-") ? -1 : 1)
            at += 6
        case nil:
            throw fail("no UTC offset: add Z or ±HH:MM (like 2026-11-21T01:00:00-06:00)")
        default:
            throw fail("expected Z or an offset ±HH:MM after the time")
        }
        guard at == b.count else { throw fail("unexpected text after the offset") }

        let days = CivilTime.days(year: Int64(year), month: month, day: day)
        let wall = days * CivilTime.secondsPerDay + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: TimeInterval(wall - Int64(offset)) + fraction)
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        if n < 0 { return "-" + pad(-n, width) }
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// A timestamp that is not RFC 3339.
public enum RFC3339Error: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(text: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(text, reason): "\"\(text)\" is not an RFC 3339 time: \(reason)"
        }
    }
}
