import Foundation
import XCTest

@testable import RespaldoCore

/// Fire times across DST transitions. Every expected transition was read from
/// `zdump -v -c 2026,2028 ZONE` (tzdata 2025b) and matches Foundation's zone data here.
final class ScheduleTests: XCTestCase {
    // MARK: America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT, 2026-11-01 02:00 EDT -> 01:00 EST

    func testNewYorkSpringForward() throws {
        // 01:30 exists on the spring-forward day; 02:30 does not and fires at the gap's end.
        XCTAssertEqual(try fires("01:30", "America/New_York", after: "2026-03-07T00:00:00Z", count: 3), [
            "2026-03-07T01:30:00-05:00", "2026-03-08T01:30:00-05:00", "2026-03-09T01:30:00-04:00",
        ])
        XCTAssertEqual(try fires("02:30", "America/New_York", after: "2026-03-07T00:00:00Z", count: 3), [
            "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00",
        ])
        // The gap's end is 07:00 UTC exactly.
        let z = try zone("America/New_York")
        XCTAssertEqual(
            try Schedule.parse("02:30").nextFire(after: instant("2026-03-08T06:00:00Z"), in: z),
            try instant("2026-03-08T07:00:00Z"))
    }

    func testNewYorkFallBack() throws {
        // 01:30 happens twice: it fires at the first (EDT) one only.
        XCTAssertEqual(try fires("01:30", "America/New_York", after: "2026-10-31T00:00:00Z", count: 3), [
            "2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00",
        ])
        // Asked from inside the replayed hour (01:10 EST), the next fire is the next day's.
        XCTAssertEqual(
            try nextFire("01:30", "America/New_York", after: "2026-11-01T01:10:00-05:00"), "2026-11-02T01:30:00-05:00")
        XCTAssertEqual(
            try nextFire("01:30", "America/New_York", after: "2026-11-01T01:30:00-04:00"), "2026-11-02T01:30:00-05:00")
        // 02:30 happens once (in EST) on the fall-back day.
        XCTAssertEqual(try fires("02:30", "America/New_York", after: "2026-10-31T00:00:00Z", count: 3), [
            "2026-10-31T02:30:00-04:00", "2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00",
        ])
    }

    func testNewYorkQuarterHoursThroughTheGap() throws {
        // 02:00, 02:15, 02:30, 02:45 and 03:00 all collapse into one fire at 03:00 EDT.
        XCTAssertEqual(try fires("*/15 * * * *", "America/New_York", after: "2026-03-08T01:20:00-05:00", count: 6), [
            "2026-03-08T01:30:00-05:00", "2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00",
            "2026-03-08T03:15:00-04:00", "2026-03-08T03:30:00-04:00", "2026-03-08T03:45:00-04:00",
        ])
    }

    func testNewYorkQuarterHoursThroughTheOverlap() throws {
        // 01:00-01:45 fire in EDT only; nothing fires while 01:00-01:59 EST replays.
        XCTAssertEqual(try fires("*/15 * * * *", "America/New_York", after: "2026-11-01T00:50:00-04:00", count: 7), [
            "2026-11-01T01:00:00-04:00", "2026-11-01T01:15:00-04:00", "2026-11-01T01:30:00-04:00",
            "2026-11-01T01:45:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:15:00-05:00",
            "2026-11-01T02:30:00-05:00",
        ])
        XCTAssertEqual(
            try nextFire("*/15 * * * *", "America/New_York", after: "2026-11-01T01:05:00-05:00"), "2026-11-01T02:00:00-05:00")
        // The last fire seen from inside the replay is the first pass's 01:45.
        XCTAssertEqual(
            try lastFire("*/15 * * * *", "America/New_York", atOrBefore: "2026-11-01T01:20:00-05:00"), "2026-11-01T01:45:00-04:00")
        XCTAssertEqual(
            try lastFire("01:30", "America/New_York", atOrBefore: "2026-11-01T01:59:00-05:00"), "2026-11-01T01:30:00-04:00")
    }

    // MARK: Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST, 2026-10-25 03:00 CEST -> 02:00 CET

    func testBerlin() throws {
        XCTAssertEqual(try fires("02:30", "Europe/Berlin", after: "2026-03-28T00:00:00Z", count: 3), [
            "2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00",
        ])
        XCTAssertEqual(try fires("02:30", "Europe/Berlin", after: "2026-10-24T00:00:00Z", count: 3), [
            "2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00",
        ])
        // A weekly Sunday job on both transition Sundays.
        XCTAssertEqual(try fires("30 2 * * SUN", "Europe/Berlin", after: "2026-03-22T12:00:00Z", count: 2), [
            "2026-03-29T03:00:00+02:00", "2026-04-05T02:30:00+02:00",
        ])
        XCTAssertEqual(try fires("30 2 * * SUN", "Europe/Berlin", after: "2026-10-18T12:00:00Z", count: 2), [
            "2026-10-25T02:30:00+02:00", "2026-11-01T02:30:00+01:00",
        ])
    }

    // MARK: Australia/Lord_Howe: half-hour DST. 2026-04-05 02:00 (+11) -> 01:30 (+10:30),
    // 2026-10-04 02:00 (+10:30) -> 02:30 (+11)

    func testLordHoweFallBackHalfHour() throws {
        // 01:30-01:59 happen twice.
        XCTAssertEqual(try fires("01:45", "Australia/Lord_Howe", after: "2026-04-03T00:00:00Z", count: 3), [
            "2026-04-04T01:45:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30",
        ])
        XCTAssertEqual(try fires("01:30", "Australia/Lord_Howe", after: "2026-04-04T12:00:00Z", count: 2), [
            "2026-04-05T01:30:00+11:00", "2026-04-06T01:30:00+10:30",
        ])
        // 01:15 is before the replay and happens once.
        XCTAssertEqual(try nextFire("01:15", "Australia/Lord_Howe", after: "2026-04-04T12:00:00Z"), "2026-04-05T01:15:00+11:00")
        XCTAssertEqual(try fires("*/15 * * * *", "Australia/Lord_Howe", after: "2026-04-05T01:20:00+11:00", count: 5), [
            "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T02:00:00+10:30",
            "2026-04-05T02:15:00+10:30", "2026-04-05T02:30:00+10:30",
        ])
    }

    func testLordHoweSpringForwardHalfHour() throws {
        // 02:00-02:29 do not exist.
        XCTAssertEqual(try fires("02:15", "Australia/Lord_Howe", after: "2026-10-02T00:00:00Z", count: 3), [
            "2026-10-03T02:15:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00",
        ])
        XCTAssertEqual(try fires("*/15 * * * *", "Australia/Lord_Howe", after: "2026-10-04T01:40:00+10:30", count: 4), [
            "2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00",
            "2026-10-04T03:00:00+11:00",
        ])
    }

    // MARK: zones whose DST changes at midnight

    /// America/Santiago: 2026-04-05 00:00 (-03) -> 2026-04-04 23:00 (-04), 2026-09-06 00:00 (-04) -> 01:00 (-03).
    func testSantiagoMidnight() throws {
        // Midnight of 2026-09-06 does not exist; that day's midnight job runs at 01:00.
        XCTAssertEqual(try fires("00:00", "America/Santiago", after: "2026-09-04T12:00:00Z", count: 3), [
            "2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00",
        ])
        // 2026-09-06 is a Sunday: the gap must not push the fire out of its day.
        XCTAssertEqual(try fires("0 0 * * SUN", "America/Santiago", after: "2026-08-31T00:00:00Z", count: 2), [
            "2026-09-06T01:00:00-03:00", "2026-09-13T00:00:00-03:00",
        ])
        // 23:00-23:59 of Saturday 2026-04-04 happen twice.
        XCTAssertEqual(try fires("23:30", "America/Santiago", after: "2026-04-03T12:00:00Z", count: 3), [
            "2026-04-03T23:30:00-03:00", "2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00",
        ])
        XCTAssertEqual(try fires("*/30 * * * *", "America/Santiago", after: "2026-04-04T23:10:00-03:00", count: 4), [
            "2026-04-04T23:30:00-03:00", "2026-04-05T00:00:00-04:00", "2026-04-05T00:30:00-04:00",
            "2026-04-05T01:00:00-04:00",
        ])
    }

    /// America/Havana: 2026-03-08 00:00 CST -> 01:00 CDT, 2026-11-01 01:00 CDT -> 00:00 CST
    /// (midnight itself happens twice).
    func testHavanaMidnight() throws {
        XCTAssertEqual(try fires("00:00", "America/Havana", after: "2026-10-30T12:00:00Z", count: 3), [
            "2026-10-31T00:00:00-04:00", "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00",
        ])
        XCTAssertEqual(try fires("00:30", "America/Havana", after: "2026-03-06T12:00:00Z", count: 3), [
            "2026-03-07T00:30:00-05:00", "2026-03-08T01:00:00-04:00", "2026-03-09T00:30:00-04:00",
        ])
    }

    /// Asia/Beirut: 2026-03-29 00:00 EET -> 01:00 EEST, 2026-10-25 00:00 EEST -> 2026-10-24 23:00 EET.
    func testBeirutMidnight() throws {
        XCTAssertEqual(try fires("00:00", "Asia/Beirut", after: "2026-03-27T12:00:00Z", count: 3), [
            "2026-03-28T00:00:00+02:00", "2026-03-29T01:00:00+03:00", "2026-03-30T00:00:00+03:00",
        ])
        XCTAssertEqual(try fires("23:15", "Asia/Beirut", after: "2026-10-23T12:00:00Z", count: 3), [
            "2026-10-23T23:15:00+03:00", "2026-10-24T23:15:00+03:00", "2026-10-25T23:15:00+02:00",
        ])
    }

    // MARK: zones without DST

    func testKolkataAndUTC() throws {
        XCTAssertEqual(try fires("01:00", "Asia/Kolkata", after: "2026-03-01T00:00:00Z", count: 2), [
            "2026-03-02T01:00:00+05:30", "2026-03-03T01:00:00+05:30",
        ])
        XCTAssertEqual(try fires("*/20 9-10 * * MON-FRI", "Asia/Kolkata", after: "2026-03-06T10:30:00+05:30", count: 4), [
            "2026-03-06T10:40:00+05:30", "2026-03-09T09:00:00+05:30", "2026-03-09T09:20:00+05:30",
            "2026-03-09T09:40:00+05:30",
        ])
        XCTAssertEqual(try fires("0 1 * * *", "UTC", after: "2026-11-21T00:59:59Z", count: 2), [
            "2026-11-21T01:00:00+00:00", "2026-11-22T01:00:00+00:00",
        ])
    }

    // MARK: properties

    /// "Strictly after": a fire time itself is not returned again, fractions included.
    func testStrictlyAfter() throws {
        let z = try zone("Europe/Berlin")
        let s = try Schedule.parse("0 1 * * *")
        let fire = try instant("2026-06-01T01:00:00+02:00")
        XCTAssertEqual(s.nextFire(after: fire.addingTimeInterval(-0.5), in: z), fire)
        XCTAssertEqual(s.nextFire(after: fire, in: z), try instant("2026-06-02T01:00:00+02:00"))
        XCTAssertEqual(s.lastFire(atOrBefore: fire, in: z), fire)
        XCTAssertEqual(s.lastFire(atOrBefore: fire.addingTimeInterval(-0.5), in: z), try instant("2026-05-31T01:00:00+02:00"))
    }

    /// Absurd instants neither crash (Int64 conversion) nor loop.
    func testExtremeInstantsTerminate() throws {
        let z = try zone("America/New_York")
        let s = try Schedule.parse("*/15 * * * *")
        for t in [Date.distantFuture, .distantPast, Date(timeIntervalSince1970: 1e300), Date(timeIntervalSince1970: -1e300),
                  Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: .infinity)] {
            _ = s.nextFire(after: t, in: z)
            _ = s.lastFire(atOrBefore: t, in: z)
            _ = RFC3339.format(t, in: z)
        }
        let far = s.lastFire(atOrBefore: .distantFuture, in: z)
        XCTAssertNotNil(far)
        XCTAssertLessThanOrEqual(far ?? .distantFuture, .distantFuture)
        XCTAssertGreaterThan(s.nextFire(after: .distantPast, in: z), .distantPast)
        XCTAssertEqual(s.nextFire(after: Date(timeIntervalSince1970: .nan), in: z), .distantFuture)
        XCTAssertNil(s.lastFire(atOrBefore: Date(timeIntervalSince1970: .nan), in: z))
        let beyond = try XCTUnwrap(s.lastFire(atOrBefore: Date(timeIntervalSince1970: 1e300), in: z))
        XCTAssertLessThanOrEqual(beyond.timeIntervalSince1970, 1e12)
        XCTAssertGreaterThan(beyond.timeIntervalSince1970, 1e12 - 900)
    }

    /// An independent check of the DST rules over a whole year of minutes: a schedule fires
    /// at instant u exactly when some matching wall time L has
    /// `max(wall time before u) < L <= wall time at u` — the first time the wall clock
    /// reaches L. Computed here from secondsFromGMT alone, minute by minute.
    func testAgainstMinuteByMinuteReference() throws {
        let cases: [(String, String)] = [
            ("*/15 * * * *", "America/New_York"), ("30 2 * * *", "America/New_York"),
            ("0,30 0-2 * * *", "Australia/Lord_Howe"), ("0 0 * * *", "America/Santiago"),
            ("45 23 * * *", "America/Santiago"), ("*/10 0 * * *", "America/Havana"),
        ]
        for (text, zoneName) in cases {
            let z = try zone(zoneName)
            let schedule = try Schedule.parse(text)
            let start = try instant("2026-01-01T00:00:00Z")
            let end = try instant("2027-01-01T00:00:00Z")
            let expected = referenceFires(schedule, z, from: start, to: end)
            var actual: [Date] = []
            var t = start
            while true {
                t = schedule.nextFire(after: t, in: z)
                if t >= end { break }
                actual.append(t)
            }
            XCTAssertEqual(actual.count, expected.count, "\(text) in \(zoneName)")
            for (a, e) in zip(actual, expected) where a != e {
                XCTFail("\(text) in \(zoneName): fired at \(RFC3339.format(a, in: z)), expected \(RFC3339.format(e, in: z))")
                break
            }
            // lastFire agrees: just before and at each fire.
            for fire in expected.prefix(200) {
                XCTAssertEqual(schedule.lastFire(atOrBefore: fire, in: z), fire)
                let before = schedule.lastFire(atOrBefore: fire.addingTimeInterval(-1), in: z)
                XCTAssertNotNil(before)
                XCTAssertLessThan(before ?? fire, fire)
            }
        }
    }

    /// The brute-force rule of testAgainstMinuteByMinuteReference (these zones change
    /// offset on whole minutes).
    private func referenceFires(_ schedule: Schedule, _ zone: TimeZone, from: Date, to: Date) -> [Date] {
        var out: [Date] = []
        var u = Int64(from.timeIntervalSince1970)
        var maxWall = u + Int64(zone.secondsFromGMT(for: from))
        u += 60
        while u < Int64(to.timeIntervalSince1970) {
            let wall = u + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(u))))
            if wall > maxWall {
                // Any matching minute in (maxWall, wall]?
                var l = (maxWall / 60 + 1) * 60
                while l <= wall {
                    if matches(schedule, wall: l) {
                        out.append(Date(timeIntervalSince1970: TimeInterval(u)))
                        break
                    }
                    l += 60
                }
                maxWall = wall
            }
            u += 60
        }
        return out
    }

    private func matches(_ schedule: Schedule, wall: Int64) -> Bool {
        schedule.spec.firstMatch(atOrAfter: wall) == wall
    }

    /// Searches are bounded and fast: Feb 29 is found 8 years out, and a year of quarter
    /// hours takes well under a second.
    func testSearchIsBounded() throws {
        let z = try zone("UTC")
        let leap = try Schedule.parse("0 0 29 2 *")
        XCTAssertEqual(try fires("0 0 29 2 *", "UTC", after: "2026-01-01T00:00:00Z", count: 3), [
            "2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00", "2036-02-29T00:00:00+00:00",
        ])
        // 2100 is not a leap year.
        XCTAssertEqual(try nextFire("0 0 29 2 *", "UTC", after: "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00+00:00")
        XCTAssertEqual(try lastFire("0 0 29 2 *", "UTC", atOrBefore: "2104-02-28T00:00:00Z"), "2096-02-29T00:00:00+00:00")

        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let start = try instant("2096-03-01T00:00:00Z")
            for day in 0..<200 {
                XCTAssertEqual(leap.nextFire(after: start.addingTimeInterval(TimeInterval(day * 86_400)), in: z), try instant("2104-02-29T00:00:00Z"))
            }
            let ny = try zone("America/New_York")
            _ = try Schedule.parse("*/15 * * * *").fireTimes(after: instant("2026-01-01T00:00:00Z"), in: ny, count: 35_040)
        }
        XCTAssertLessThan(elapsed, .seconds(10), "200 leap-day searches and a year of quarter hours took \(elapsed)")
    }
}
