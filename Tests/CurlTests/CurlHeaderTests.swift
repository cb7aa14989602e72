@testable import Curl
import XCTest

/// Response header fields as `CurlTransfer` records them from libcurl's header callback.
final class CurlHeaderTests: XCTestCase {
    private func feed(_ transfer: CurlTransfer, _ lines: [String]) -> Bool {
        for line in lines {
            let ok = Array(line.utf8).withUnsafeBytes { transfer.recordHeader($0) }
            if !ok { return false }
        }
        return true
    }

    func testFieldsOfTheLastResponse() {
        let transfer = CurlTransfer()
        XCTAssertTrue(feed(transfer, [
            "HTTP/1.1 100 Continue\r\n", "X-Interim: yes\r\n", "\r\n",
            "HTTP/1.1 200 OK\r\n", "ETag: \"d41d8cd98f00b204e9800998ecf8427e\"\r\n", "X-Amz-Meta:  a \r\n", "x-amz-meta: b\r\n",
            "Content-Length: 0\r\n", "no colon here\r\n", ": no name\r\n", "\r\n",
        ]))
        XCTAssertEqual(transfer.responseStatus, 200)
        XCTAssertEqual(transfer.responseHeaders, [
            "etag": "\"d41d8cd98f00b204e9800998ecf8427e\"", "x-amz-meta": "a, b", "content-length": "0",
        ])
        XCTAssertTrue(feed(transfer, ["HTTP/2 404\r\n"]))
        XCTAssertEqual(transfer.responseStatus, 404)
        XCTAssertEqual(transfer.responseHeaders, [:])
    }

    func testTooManyHeaderBytesFailTheTransfer() {
        let transfer = CurlTransfer()
        let line = "X-Filler: " + String(repeating: "a", count: 1000) + "\r\n"
        XCTAssertFalse(feed(transfer, ["HTTP/1.1 200 OK\r\n"] + Array(repeating: line, count: 100)))
        XCTAssertEqual(transfer.failure as? CurlHeaderError, .tooLarge(limit: CurlTransfer.maxHeaderBytes))
    }
}
