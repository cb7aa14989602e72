import Foundation
import XCTest

@testable import RespaldoCore

/// The rules values follow, and the suggestions messages make.
final class ConfigLoaderRuleTests: ConfigLoaderTestCase {
    func testScheduleShapes() {
        for ok in ["00:00", "01:00", "23:59", "0 1 * * *", "*/15 * * * MON-FRI", "0 3 * * 0", "5,35 1-3 1 JAN,jul *"] {
            XCTAssertNil(ConfigParser.scheduleProblem(ok), ok)
        }
        for bad in ["24:00", "12:60", "1:00", "01:00:00", "", "0 1 * * * *", "0 1 * *", "@daily", "0 1 * * ?", "ab:cd"] {
            XCTAssertNotNil(ConfigParser.scheduleProblem(bad), bad)
        }
    }

    func testEditDistanceAndSuggestion() {
        XCTAssertEqual(ConfigParser.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(ConfigParser.editDistance("", "abc"), 3)
        XCTAssertEqual(ConfigParser.suggestion("retires", among: ["retries", "retry_delay"]), " (did you mean \"retries\"?)")
        XCTAssertEqual(ConfigParser.suggestion("colour", among: ["name"]), "")
    }
}
