import Foundation
import XCTest

@testable import RespaldoCore

/// A job's `timeout` in the configuration: a duration, a documented default, and errors that
/// name the key and its line.
final class JobTimeoutConfigTests: XCTestCase {
    private func config(_ timeoutLine: String) throws -> Config {
        try Config.parse(text: """
            local_dir = "/var/backups/respaldo"
            state_dir = "/var/lib/respaldo"

            [[jobs]]
            name = "crm"
            source = "command"
            command = ["/usr/local/bin/dump-all"]
            \(timeoutLine)
            """, path: "/etc/respaldo/respaldo.toml", checkFiles: false)
    }

    func testDurationAndDefault() throws {
        XCTAssertEqual(try config("timeout = \"6h\"").jobs[0].timeout.seconds, 6 * 3600)
        XCTAssertEqual(try config("timeout = \"1d12h\"").jobs[0].timeout.seconds, 36 * 3600)
        XCTAssertEqual(try config("").jobs[0].timeout.seconds, 24 * 3600, "the README documents a one-day default")
        XCTAssertEqual(JobConfig.defaultTimeout.seconds, 24 * 3600)
    }

    func testBadValuesNameTheKeyAndLine() {
        for (line, kind) in [("timeout = \"soon\"", ConfigError.Kind.invalidValue), ("timeout = \"0s\"", .invalidValue),
                             ("timeout = \"-1h\"", .invalidValue), ("timeout = 3600", .wrongType)] {
            XCTAssertThrowsError(try config(line), line) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, kind, "\(error)")
                XCTAssertEqual(error.line, 8, "\(error)")
                XCTAssertTrue(error.description.contains("timeout"), "\(error)")
            }
        }
    }
}
