import Foundation
import XCTest

@testable import RespaldoCore

final class SnapshotIDTests: XCTestCase {
    func testFormatsAsJobAndUTCStamp() {
        let id = SnapshotID(job: "crm", time: Date(timeIntervalSince1970: 1_795_330_800.75))
        XCTAssertEqual(id.description, "crm-20261122T070000Z")
    }

    func testParsesJobNamesWithDashes() throws {
        let id = try XCTUnwrap(SnapshotID("crm-eu-west-20261121T070000Z"))
        XCTAssertEqual(id.job, "crm-eu-west")
        XCTAssertEqual(id.description, "crm-eu-west-20261121T070000Z")
    }

    func testRejectsMalformedIds() {
        for bad in ["", "crm", "crm-2026", "-20261121T070000Z", "crm20261121T070000Z", "crm-20261321T070000Z", "crm-20261121T070000"] {
            XCTAssertNil(SnapshotID(bad), bad)
        }
    }

    func testOrdersByTime() throws {
        let a = try XCTUnwrap(SnapshotID("x-20261121T070000Z"))
        let b = try XCTUnwrap(SnapshotID("x-20261121T070001Z"))
        XCTAssertLessThan(a, b)
    }
}
