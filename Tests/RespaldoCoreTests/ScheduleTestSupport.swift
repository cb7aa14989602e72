import Foundation
import XCTest

@testable import RespaldoCore

struct UnknownZone: Error { var name: String }

/// A zone by name; a test that names one Foundation lacks fails (it does not skip).
func zone(_ name: String) throws -> TimeZone {
    guard let zone = TimeZone(identifier: name) else { throw UnknownZone(name: name) }
    return zone
}

func instant(_ text: String) throws -> Date { try RFC3339.parse(text) }

/// The next `count` fires of `schedule` after `after`, written in the zone's offsets.
func fires(_ schedule: String, _ zoneName: String, after: String, count: Int) throws -> [String] {
    let z = try zone(zoneName)
    return try Schedule.parse(schedule).fireTimes(after: instant(after), in: z, count: count).map { RFC3339.format($0, in: z) }
}

func nextFire(_ schedule: String, _ zoneName: String, after: String) throws -> String {
    let z = try zone(zoneName)
    return RFC3339.format(try Schedule.parse(schedule).nextFire(after: instant(after), in: z), in: z)
}

func lastFire(_ schedule: String, _ zoneName: String, atOrBefore: String) throws -> String? {
    let z = try zone(zoneName)
    return try Schedule.parse(schedule).lastFire(atOrBefore: instant(atOrBefore), in: z).map { RFC3339.format($0, in: z) }
}
