import Foundation
import XCTest

@testable import RespaldoCore

final class ScheduleRFC3339Tests: XCTestCase {
    func testFormatInZoneOffsets() throws {
        let t = try instant("2026-11-21T07:00:00Z")
        XCTAssertEqual(RFC3339.format(t, in: try zone("America/Mexico_City")), "2026-11-21T01:00:00-06:00")
        XCTAssertEqual(RFC3339.format(t, in: try zone("Asia/Kolkata")), "2026-11-21T12:30:00+05:30")
        XCTAssertEqual(RFC3339.format(t, in: try zone("UTC")), "2026-11-21T07:00:00+00:00")
        XCTAssertEqual(RFC3339.format(t, in: try zone("Pacific/Chatham")), "2026-11-21T20:45:00+13:45")
        // Fractions are truncated, not rounded up into the next second.
        XCTAssertEqual(RFC3339.format(t.addingTimeInterval(0.999), in: try zone("UTC")), "2026-11-21T07:00:00+00:00")
        XCTAssertEqual(RFC3339.format(try instant("1969-12-31T23:59:59Z"), in: try zone("UTC")), "1969-12-31T23:59:59+00:00")
    }

    func testParseForms() throws {
        let expected = Date(timeIntervalSince1970: 1_795_222_800)  // 2026-11-21T01:00:00Z
        for text in ["2026-11-21T01:00:00Z", "2026-11-21t01:00:00z", "2026-11-21 01:00:00Z",
                     "2026-11-20T19:00:00-06:00", "2026-11-21T06:30:00+05:30", "2026-11-21T01:00:00+00:00",
                     "2026-11-21T01:00:00-00:00"] {
            XCTAssertEqual(try RFC3339.parse(text), expected, text)
        }
        XCTAssertEqual(try RFC3339.parse("2026-11-21T01:00:00.250Z").timeIntervalSince1970, 1_795_222_800.25, accuracy: 1e-6)
        XCTAssertEqual(try RFC3339.parse("2028-02-29T00:00:00Z").timeIntervalSince1970, 1_835_395_200)
        // A leap second reads as the next minute's first second.
        XCTAssertEqual(try RFC3339.parse("2016-12-31T23:59:60Z"), try RFC3339.parse("2017-01-01T00:00:00Z"))
    }

    func testParseRefuses() {
        let cases: [(String, String)] = [
            ("2026-11-21T01:00:00", "no UTC offset"),
            ("2026-11-21", "expected a time"),
            ("2026-11-21T01:00Z", "expected a time"),
            ("2026-13-01T00:00:00Z", "month 13 out of range"),
            ("2026-02-29T00:00:00Z", "day 29 out of range 1-28 for 2026-02"),
            ("2026-04-31T00:00:00Z", "day 31 out of range 1-30"),
            ("2026-11-21T24:00:00Z", "hour 24"),
            ("2026-11-21T23:60:00Z", "minute 60"),
            ("2026-11-21T01:00:00+0600", "offset ±HH:MM"),
            ("2026-11-21T01:00:00+24:00", "offset ±HH:MM"),
            ("2026-11-21T01:00:00.Z", "digits after the decimal point"),
            ("2026-11-21T01:00:00Zjunk", "unexpected text"),
            ("2026-11-21T01:00:00 UTC", "expected Z or an offset"),
            ("26-11-21T01:00:00Z", "expected a date"),
            ("", "expected a date"),
        ]
        for (text, reason) in cases {
            do {
                let date = try RFC3339.parse(text)
                XCTFail("\"\(text)\" parsed as \(date)")
            } catch {
                XCTAssertTrue(error.description.hasPrefix("\"\(text)\" is not an RFC 3339 time: "), "\(error)")
                XCTAssertTrue(error.description.contains(reason), "\"\(text)\": \"\(error)\" lacks \"\(reason)\"")
            }
        }
    }

    /// format then parse gives the same instant in every zone, over DST days and an old
    /// local mean time whose offset has seconds (New York before 1883: -4:56:02).
    func testRoundTrip() throws {
        let instants = try ["2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z",
                            "1880-06-01T12:00:00Z", "2000-02-29T23:59:59Z", "9999-12-30T00:00:00Z"].map(instant)
        for name in ["America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "America/Santiago", "Pacific/Kiritimati"] {
            let z = try zone(name)
            for t in instants {
                let text = RFC3339.format(t, in: z)
                XCTAssertEqual(try RFC3339.parse(text), t, "\(name): \(text)")
            }
        }
        XCTAssertEqual(RFC3339.format(try instant("1880-06-01T12:00:00Z"), in: try zone("America/New_York")), "1880-06-01T07:04:00-04:56")
    }
}
