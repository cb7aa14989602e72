import Curl
import Foundation
import XCTest

/// The wrapper's own behaviour, on file:// URLs (no server needed): callbacks, errors as
/// Swift values, protocol restriction, cancellation, handle reuse after reset.
final class CurlEasyTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testDownloadReachesTheWriterAndUploadReadsTheReader() throws {
        let source = dir + "/source.bin"
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(bytes).write(to: URL(fileURLWithPath: source))
        let easy = try CurlEasy()

        var received: [UInt8] = []
        let download = CurlTransfer()
        download.writer = { received.append(contentsOf: $0) }
        try easy.set([.url("file://" + source), .protocols("file"), .noSignal(true)])
        try easy.perform(download)
        XCTAssertEqual(received, bytes)
        XCTAssertEqual(easy.downloadContentLength, Int64(bytes.count))

        try easy.reset()
        let target = dir + "/copy.bin"
        var offset = 0
        let upload = CurlTransfer()
        upload.reader = { buffer in
            let count = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
        try easy.set([.url("file://" + target), .protocols("file"), .upload(true), .uploadSize(Int64(bytes.count))])
        try easy.perform(upload)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), Data(bytes))
    }

    func testCallbackErrorsAreRethrownAsThemselves() throws {
        struct Refused: Error, Equatable {}
        let source = dir + "/source.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: source))
        let easy = try CurlEasy()
        let transfer = CurlTransfer()
        transfer.writer = { _ in throw Refused() }
        try easy.set(.url("file://" + source))
        XCTAssertThrowsError(try easy.perform(transfer)) { XCTAssertEqual($0 as? Refused, Refused()) }
    }

    func testFailuresCarryTheCodeAndMessage() throws {
        let easy = try CurlEasy()
        try easy.set([.url("file://" + dir + "/missing"), .protocols("file")])
        XCTAssertThrowsError(try easy.perform(CurlTransfer())) { error in
            let curl = error as? CurlError
            XCTAssertEqual(curl?.number, 37, "\(error)")  // CURLE_FILE_COULDNT_READ_FILE
            XCTAssertTrue(curl?.message.contains("missing") ?? false, "\(error)")
        }

        // The protocol list is enforced: an http-only handle refuses file://.
        try easy.reset()
        try easy.set([.url("file://" + dir), .protocols("http,https")])
        XCTAssertThrowsError(try easy.perform(CurlTransfer())) { error in
            XCTAssertEqual((error as? CurlError)?.number, 1, "\(error)")  // unsupported protocol
        }
        XCTAssertEqual(CurlCode.peerFailedVerification.rawValue, 60)
        XCTAssertEqual(CurlCode(rawValue: 7).description, "Couldn't connect to server")
    }

    func testCancelledTransferAbortsWithTheCallbackCode() throws {
        let source = dir + "/source.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: source))
        let cancel = CancelFlag()
        cancel.set()
        let easy = try CurlEasy()
        try easy.set(.url("file://" + source))
        let transfer = CurlTransfer(cancel: cancel)
        XCTAssertThrowsError(try easy.perform(transfer)) { error in
            let code = (error as? CurlError)?.code
            XCTAssertTrue(code == .abortedByCallback || code?.rawValue == 23, "\(error)")  // 23: write error
        }
        XCTAssertTrue(transfer.isCancelled)
    }

    func testAnUnknownValueIsRefusedNamingTheOption() throws {
        let easy = try CurlEasy()
        XCTAssertThrowsError(try easy.set(.protocols("gopher-over-pigeon"))) { error in
            XCTAssertTrue((error as? CurlError)?.message.hasPrefix("CURLOPT_PROTOCOLS_STR:") ?? false, "\(error)")
        }
    }
}
