import XCTest

@testable import RespaldoCore

/// ConfigDuration, the one reading of `timeout` and `max_age`, on vectors.
final class ConfigDurationTests: XCTestCase {
    func testAccepted() throws {
        let cases: [(text: String, seconds: Double, written: String)] = [
            ("90s", 90, "1m30s"), ("45m", 2700, "45m"), ("36h", 129_600, "1d12h"), ("7d", 604_800, "7d"),
            ("2w", 1_209_600, "14d"), ("1d12h", 129_600, "1d12h"), (" 6h ", 21_600, "6h"), ("1h0m", 3600, "1h"),
            ("999999999s", 999_999_999, "11574d1h46m39s"), ("0d1s", 1, "1s"),
        ]
        for (text, seconds, written) in cases {
            let duration = try ConfigDuration(text)
            XCTAssertEqual(duration.seconds, seconds, text)
            XCTAssertEqual(duration.description, written, text)
            XCTAssertEqual(try ConfigDuration(duration.description), duration, "\(text) reads back as written")
        }
        XCTAssertLessThan(try ConfigDuration("59m"), try ConfigDuration("1h"))
    }

    func testRefused() {
        for text in ["", "soon", "0s", "0d0h", "-1h", "6", "h", "1.5h", "6H", "6 h", "6h30", "1234567890s", "٦h", "6h-"] {
            XCTAssertThrowsError(try ConfigDuration(text), text) { error in
                XCTAssertEqual("\(error)", "\"\(text)\" is not a duration: write a number and a unit")
            }
        }
    }
}
