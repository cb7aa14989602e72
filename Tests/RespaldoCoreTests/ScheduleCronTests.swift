import Foundation
import XCTest

@testable import RespaldoCore

/// The cron dialect: lists, ranges, steps, names, Sunday as 0 and 7, Vixie's day-of-month /
/// day-of-week OR rule, and the errors for what is refused. All in UTC: the zone rules are
/// ScheduleTests' business.
final class ScheduleCronTests: XCTestCase {
    private func utc(_ schedule: String, after: String, count: Int) throws -> [String] {
        try fires(schedule, "UTC", after: after, count: count).map { String($0.dropLast(6)) }
    }

    func testListsRangesAndSteps() throws {
        XCTAssertEqual(try utc("5,35 1-3 * * *", after: "2026-01-01T00:00:00Z", count: 7), [
            "2026-01-01T01:05:00", "2026-01-01T01:35:00", "2026-01-01T02:05:00", "2026-01-01T02:35:00",
            "2026-01-01T03:05:00", "2026-01-01T03:35:00", "2026-01-02T01:05:00",
        ])
        XCTAssertEqual(try utc("1-10/3 0 * * *", after: "2026-01-01T00:00:00Z", count: 5), [
            "2026-01-01T00:01:00", "2026-01-01T00:04:00", "2026-01-01T00:07:00", "2026-01-01T00:10:00",
            "2026-01-02T00:01:00",
        ])
        // `5/20` runs from 5 to the end of the range.
        XCTAssertEqual(try utc("5/20 0 * * *", after: "2026-01-01T00:00:00Z", count: 4), [
            "2026-01-01T00:05:00", "2026-01-01T00:25:00", "2026-01-01T00:45:00", "2026-01-02T00:05:00",
        ])
        XCTAssertEqual(try utc("*/15 0 * * *", after: "2026-01-01T00:00:00Z", count: 4), [
            "2026-01-01T00:15:00", "2026-01-01T00:30:00", "2026-01-01T00:45:00", "2026-01-02T00:00:00",
        ])
        XCTAssertEqual(try utc("0 0 1 */5 *", after: "2026-01-01T00:00:00Z", count: 4), [
            "2026-06-01T00:00:00", "2026-11-01T00:00:00", "2027-01-01T00:00:00", "2027-06-01T00:00:00",
        ])
        XCTAssertEqual(try utc("59 23 31 12 *", after: "2026-01-01T00:00:00Z", count: 2), [
            "2026-12-31T23:59:00", "2027-12-31T23:59:00",
        ])
    }

    func testNamesAnyCase() throws {
        // 2026-01-01 is a Thursday.
        XCTAssertEqual(try utc("0 12 * JAN,jul Mon-fRi", after: "2026-01-29T00:00:00Z", count: 3), [
            "2026-01-29T12:00:00", "2026-01-30T12:00:00", "2026-07-01T12:00:00",
        ])
        XCTAssertEqual(try Schedule.parse("0 0 1 jan-MAR *").spec, try Schedule.parse("0 0 1 1-3 *").spec)
        XCTAssertEqual(try Schedule.parse("0 0 * * mon,WED").spec, try Schedule.parse("0 0 * * 1,3").spec)
    }

    func testSundayIsZeroAndSeven() throws {
        let sunday = try Schedule.parse("0 0 * * 0").spec
        XCTAssertEqual(try Schedule.parse("0 0 * * 7").spec.daysOfWeek, sunday.daysOfWeek)
        XCTAssertEqual(try Schedule.parse("0 0 * * SUN").spec.daysOfWeek, sunday.daysOfWeek)
        XCTAssertEqual(try Schedule.parse("0 0 * * 5-7").spec.daysOfWeek, try Schedule.parse("0 0 * * 0,5,6").spec.daysOfWeek)
        XCTAssertEqual(try Schedule.parse("0 0 * * FRI-SUN").spec.daysOfWeek, try Schedule.parse("0 0 * * 0,5,6").spec.daysOfWeek)
        XCTAssertEqual(try Schedule.parse("0 0 * * 0-7").spec.daysOfWeek, 0x7F)
        // 2026-01-04 is a Sunday.
        XCTAssertEqual(try utc("0 0 * * 7", after: "2026-01-01T00:00:00Z", count: 2), ["2026-01-04T00:00:00", "2026-01-11T00:00:00"])
    }

    /// Both day fields restricted: a day matches if EITHER does. One starting with `*`: both
    /// must (Vixie cron, even for `*/2`).
    func testDayOfMonthDayOfWeekRule() throws {
        // April 2026: the 13th is a Monday; Fridays are the 3rd, 10th, 17th, 24th, May 1st.
        XCTAssertEqual(try utc("0 0 13 * FRI", after: "2026-04-01T00:00:00Z", count: 6), [
            "2026-04-03T00:00:00", "2026-04-10T00:00:00", "2026-04-13T00:00:00", "2026-04-17T00:00:00",
            "2026-04-24T00:00:00", "2026-05-01T00:00:00",
        ])
        XCTAssertEqual(try utc("0 0 13 * *", after: "2026-04-01T00:00:00Z", count: 2), ["2026-04-13T00:00:00", "2026-05-13T00:00:00"])
        XCTAssertEqual(try utc("0 0 * * FRI", after: "2026-04-01T00:00:00Z", count: 2), ["2026-04-03T00:00:00", "2026-04-10T00:00:00"])
        // Odd days that are Fridays.
        XCTAssertEqual(try utc("0 0 */2 * FRI", after: "2026-04-01T00:00:00Z", count: 3), [
            "2026-04-03T00:00:00", "2026-04-17T00:00:00", "2026-05-01T00:00:00",
        ])
        // Feb 31 never comes, but with a weekday too the OR rule makes it every Monday in February.
        XCTAssertEqual(try utc("0 0 31 2 MON", after: "2026-01-01T00:00:00Z", count: 2), ["2026-02-02T00:00:00", "2026-02-09T00:00:00"])
    }

    func testLeapDayAndRareCombinations() throws {
        XCTAssertEqual(try utc("0 0 29 2 *", after: "2028-02-29T00:00:00Z", count: 1), ["2032-02-29T00:00:00"])
        // Feb 29 on a Sunday (`*/7` is 0 and 7, Sunday; it starts with `*`, so AND): 2032,
        // then 28 years later.
        let found = try utc("0 0 29 2 */7", after: "2026-01-01T00:00:00Z", count: 2)
        XCTAssertEqual(found, ["2032-02-29T00:00:00", "2060-02-29T00:00:00"])
    }

    func testDailyEqualsCron() throws {
        let z = try zone("America/New_York")
        let start = try instant("2026-01-01T00:00:00Z")
        XCTAssertEqual(
            try Schedule.parse("02:30").fireTimes(after: start, in: z, count: 400),
            try Schedule.parse("30 2 * * *").fireTimes(after: start, in: z, count: 400))
        XCTAssertEqual(try Schedule.parse("  01:00 ").text, "01:00")
        XCTAssertEqual(try Schedule.parse("0\t1  * * *").description, "0\t1  * * *")
    }

    func testRefused() {
        let cases: [(String, String)] = [
            ("0 25 * * *", "cron \"0 25 * * *\": hour 25 out of range 0-23"),
            ("60 * * * *", "cron \"60 * * * *\": minute 60 out of range 0-59"),
            ("* * 0 * *", "day-of-month 0 out of range 1-31"),
            ("* * 32 * *", "day-of-month 32 out of range 1-31"),
            ("* * * 13 *", "month 13 out of range 1-12"),
            ("* * * * 8", "day-of-week 8 out of range 0-7"),
            ("*/0 * * * *", "minute step \"0\" in \"*/0\" is not a number of at least 1"),
            ("*/x * * * *", "minute step \"x\""),
            ("5-1 * * * *", "minute range \"5-1\" is reversed"),
            ("* * * * FRI-MON", "day-of-week range \"FRI-MON\" is reversed"),
            ("* * * FOO *", "month \"FOO\" is not a number 1-12 or a month name (JAN-DEC)"),
            ("* * * * MONDAY", "day-of-week \"MONDAY\" is not a number 0-7 or a weekday name (SUN-SAT)"),
            ("* JAN * * *", "hour \"JAN\" is not a number 0-23"),
            ("1,,2 * * * *", "minute \"1,,2\" has an empty list item"),
            ("1-2-3 * * * *", "minute \"1-2-3\" is not a value"),
            ("1/2/3 * * * *", "more than one step"),
            ("0 1 * * ?", "day-of-week \"?\""),
            ("-1 * * * *", "minute \"\" is not a number"),
            ("0 0 31 2 *", "cron \"0 0 31 2 *\": never matches: day-of-month \"31\" never occurs in month \"2\""),
            ("0 0 30 FEB *", "never matches"),
            ("0 0 31 4,6,9,11 *", "never matches"),
            ("0 0 30-31 2 */2", "never matches"),
            ("0 1 * *", "\"0 1 * *\": has 4 fields; expected \"HH:MM\" (daily) or a 5-field cron expression"),
            ("0 1 * * * *", "has 6 fields (a seconds or year field is not supported)"),
            ("@daily", "has 1 field;"),
            ("", "has 0 fields"),
            ("24:00", "\"24:00\": hour 24 out of range 0-23"),
            ("12:60", "\"12:60\": minute 60 out of range 0-59"),
            ("1:00", "\"1:00\": expected \"HH:MM\""),
            ("01:00:00", "expected \"HH:MM\""),
            ("٠١:٠٠", "expected \"HH:MM\""),
            ("ab:cd", "expected \"HH:MM\""),
        ]
        for (text, message) in cases {
            do {
                let schedule = try Schedule.parse(text)
                XCTFail("\"\(text)\" parsed as \(schedule.spec)")
            } catch {
                XCTAssertTrue(error.description.contains(message), "\"\(text)\": \"\(error)\" lacks \"\(message)\"")
            }
        }
        do {
            _ = try Schedule.parse("0 25 * * *")
            XCTFail("hour 25 parsed")
        } catch {
            XCTAssertEqual(error, .badField(expression: "0 25 * * *", field: .hour, problem: "25 out of range 0-23"))
        }
    }

    func testAccepted() throws {
        for text in ["00:00", "01:00", "23:59", "0 1 * * *", "*/15 * * * MON-FRI", "0 3 * * 0", "5,35 1-3 1 JAN,jul *",
                     "0 0 29 2 *", "0 0 31 * *", "0-59/59 */23 1-31/30 */11 */6"] {
            XCTAssertNoThrow(try Schedule.parse(text), text)
        }
    }
}
