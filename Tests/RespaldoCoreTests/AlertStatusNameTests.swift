import XCTest

@testable import RespaldoCore

/// The names `[notify] on` accepts, read by AlertStatus(named:), on vectors.
final class AlertStatusNameTests: XCTestCase {
    func testNames() throws {
        let accepted: [(String, AlertStatus)] = [
            ("failure", .failure), ("success", .success), ("upload_failure", .uploadFailure), ("verify_failure", .verifyFailure),
        ]
        for (name, status) in accepted {
            XCTAssertEqual(try AlertStatus(named: name), status, name)
        }
        XCTAssertEqual(Set(AlertStatus.names), Set(AlertStatus.allCases.map(\.rawValue)), "every status has its name, and no more")
        for name in ["sucess", "Failure", "upload-failure", "", " failure", "recovered"] {
            XCTAssertThrowsError(try AlertStatus(named: name), name) { error in
                XCTAssertEqual(
                    "\(error)", "\"\(name)\" is not an event; expected one of failure, success, upload_failure, verify_failure")
            }
        }
    }
}
