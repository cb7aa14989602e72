import Foundation
import XCTest

@testable import RespaldoCore

/// The catch-up decision at daemon start, with the clock passed in.
final class ScheduleCatchUpTests: XCTestCase {
    private func missed(_ schedule: String, _ zoneName: String, lastSuccess: String?, now: String) throws -> String? {
        let z = try zone(zoneName)
        let result = CatchUp.missedRun(
            schedule: try Schedule.parse(schedule), zone: z, lastSuccess: try lastSuccess.map(instant), now: try instant(now))
        return result.map { RFC3339.format($0, in: z) }
    }

    func testNothingMissed() throws {
        // The last run was at its time and the next is still ahead.
        XCTAssertNil(try missed("01:00", "America/Mexico_City", lastSuccess: "2026-11-20T01:00:02-06:00", now: "2026-11-21T00:59:59-06:00"))
        // A run by hand after the last scheduled time covers it.
        XCTAssertNil(try missed("01:00", "America/Mexico_City", lastSuccess: "2026-11-21T09:00:00-06:00", now: "2026-11-21T10:00:00-06:00"))
        // The run that started at its fire time covers it.
        XCTAssertNil(try missed("01:00", "America/Mexico_City", lastSuccess: "2026-11-21T01:00:00-06:00", now: "2026-11-21T10:00:00-06:00"))
    }

    func testOneMissedRun() throws {
        XCTAssertEqual(
            try missed("01:00", "America/Mexico_City", lastSuccess: "2026-11-20T01:00:02-06:00", now: "2026-11-21T09:00:00-06:00"),
            "2026-11-21T01:00:00-06:00")
        // At the fire time exactly.
        XCTAssertEqual(
            try missed("01:00", "America/Mexico_City", lastSuccess: "2026-11-20T01:00:02-06:00", now: "2026-11-21T01:00:00-06:00"),
            "2026-11-21T01:00:00-06:00")
    }

    func testDownForDaysCatchesUpOnce() throws {
        // Three fires missed: one catch-up, for the most recent.
        XCTAssertEqual(
            try missed("0 1 * * *", "America/Mexico_City", lastSuccess: "2026-11-17T01:00:02-06:00", now: "2026-11-20T18:00:00-06:00"),
            "2026-11-20T01:00:00-06:00")
        XCTAssertEqual(
            try missed("0 3 * * SUN", "Europe/Berlin", lastSuccess: "2026-06-07T03:10:00+02:00", now: "2026-06-30T12:00:00+02:00"),
            "2026-06-28T03:00:00+02:00")
    }

    func testNeverSucceededWaitsForItsTime() throws {
        XCTAssertNil(try missed("01:00", "UTC", lastSuccess: nil, now: "2026-11-21T09:00:00Z"))
    }

    func testAcrossTheSpringGap() throws {
        // 02:30 on 2027-03-14 fires at 03:00 EDT (07:00 UTC).
        XCTAssertEqual(
            try missed("02:30", "America/New_York", lastSuccess: "2027-03-13T02:30:05-05:00", now: "2027-03-14T03:30:00-04:00"),
            "2027-03-14T03:00:00-04:00")
        XCTAssertNil(try missed("02:30", "America/New_York", lastSuccess: "2027-03-13T02:30:05-05:00", now: "2027-03-14T01:59:59-05:00"))
        XCTAssertEqual(
            try missed("02:30", "America/New_York", lastSuccess: "2027-03-13T02:30:05-05:00", now: "2027-03-14T07:00:00Z"),
            "2027-03-14T03:00:00-04:00")
    }

    func testNoSecondRunInTheRepeatedHour() throws {
        // 01:30 ran at its first occurrence (EDT); restarting during the replay (01:45 EST)
        // must not run it again.
        XCTAssertNil(try missed("01:30", "America/New_York", lastSuccess: "2026-11-01T01:30:01-04:00", now: "2026-11-01T01:45:00-05:00"))
        // Had the daemon been down at the first 01:30, the catch-up is for that one.
        XCTAssertEqual(
            try missed("01:30", "America/New_York", lastSuccess: "2026-10-31T01:30:01-04:00", now: "2026-11-01T01:10:00-05:00"),
            "2026-11-01T01:30:00-04:00")
    }
}
