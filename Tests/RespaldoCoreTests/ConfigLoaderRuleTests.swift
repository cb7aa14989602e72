import Foundation
import XCTest

@testable import RespaldoCore

/// The suggestions messages make. (What a schedule may be is ScheduleCronTests'.)
final class ConfigLoaderRuleTests: ConfigLoaderTestCase {
    func testEditDistanceAndSuggestion() {
        XCTAssertEqual(ConfigParser.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(ConfigParser.editDistance("", "abc"), 3)
        XCTAssertEqual(ConfigParser.suggestion("retires", among: ["retries", "retry_delay"]), " (did you mean \"retries\"?)")
        XCTAssertEqual(ConfigParser.suggestion("colour", among: ["name"]), "")
    }
}
