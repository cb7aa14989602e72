import Foundation
import XCTest

@testable import RespaldoCore

/// ZoneName.parse, the one rule for `timezone` (a job's and the configuration's), on vectors.
final class ZoneNameTests: XCTestCase {
    func testAccepted() throws {
        // nil: Foundation names the zone otherwise (UTC is its "GMT"), which is not the rule's business.
        let cases: [(name: String, identifier: String?, offsetInJanuary: Int)] = [
            ("UTC", nil, 0),
            ("Etc/UTC", nil, 0),
            ("GMT0", nil, 0),
            ("Etc/GMT-3", "Etc/GMT-3", 3 * 3600),
            ("Etc/GMT+5", "Etc/GMT+5", -5 * 3600),
            ("America/Mexico_City", "America/Mexico_City", -6 * 3600),
            ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires", -3 * 3600),
            ("Australia/Lord_Howe", "Australia/Lord_Howe", 11 * 3600),
        ]
        let january = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        for (name, identifier, offset) in cases {
            let zone = try ZoneName.parse(name)
            if let identifier { XCTAssertEqual(zone.identifier, identifier, name) }
            XCTAssertEqual(zone.secondsFromGMT(for: january), offset, name)
        }
    }

    func testRefused() {
        let cases: [(name: String, message: String)] = [
            ("Mars/Olympus", "\"Mars/Olympus\" is not a known IANA time zone (like \"America/Mexico_City\" or \"UTC\")"),
            ("", "\"\" is not a known IANA time zone"),
            ("UTC+3", "\"UTC+3\" is a fixed offset, not an IANA time zone name"),
            ("GMT-05:00", "is a fixed offset"),
            ("CST", "\"CST\" is an abbreviation, not a time zone: it names no place, and no DST rules; "
                + "use an IANA name (like \"America/Mexico_City\" or \"UTC\"); you probably mean America/Chicago (US Central)"),
            ("EST5EDT", "is an abbreviation, not a time zone"),
        ]
        for (name, message) in cases {
            do {
                let zone = try ZoneName.parse(name)
                XCTFail("\"\(name)\" parsed as \(zone.identifier)")
            } catch {
                XCTAssertTrue(error.description.contains(message), "\"\(name)\": \"\(error)\" lacks \"\(message)\"")
            }
        }
    }
}
