import Foundation
@testable import Storage
import StoreContract
import TestFixtures
import XCTest

/// SeaweedFS dies in the middle of a multipart upload: nothing appears under the final name;
/// after a restart the next putFile keeps the parts the server holds (the in-progress upload
/// is the store's `.partial`), sends the rest, and the object is byte-identical.
final class S3ResumeTests: XCTestCase {
    func testServerKilledDuringMultipartUploadThenResumed() throws {
        let server = try SeaweedServer()
        defer {
            if let keep = ProcessInfo.processInfo.environment["RESPALDO_KEEP_WEED_LOG"] { try? FileManager.default.copyItem(atPath: server.directory + "/weed.log", toPath: keep) }
            server.tearDown()
        }
        try server.createBucket("plain")
        var options = server.options(bucket: "plain", prefix: "resume")
        options.bandwidthLimit = 40 << 20  // a part takes about 125 ms: the kill lands mid-part
        let store = try S3Store(options: options)
        let part = S3Store.minPartSize
        let size = 10 * part + 12_345
        let local = server.directory + "/big.bin"
        try writeRandomFile(local, count: size)

        let fourParts = DispatchSemaphore(value: 0)
        let killed = DispatchSemaphore(value: 0)
        let killer = Thread {
            if fourParts.wait(timeout: .now() + 60) == .success { usleep(60_000) }
            server.stop()
            killed.signal()
        }
        killer.start()
        let started = Date()
        var signalled = false
        var sentBeforeKill: Int64 = 0
        XCTAssertThrowsError(try store.putFile("job/big.bin", localPath: local) { sent, _ in
            sentBeforeKill = sent
            if sent >= Int64(4 * part), !signalled {
                signalled = true
                fourParts.signal()
            }
        }) { error in
            guard let error = error as? StorageError else { return XCTFail("\(error)") }
            XCTAssertFalse(error.isPermanent, "a dropped connection is transient: \(error)")
        }
        XCTAssertEqual(killed.wait(timeout: .now() + 60), .success)
        let failedAfter = Date().timeIntervalSince(started)
        XCTAssertLessThan(sentBeforeKill, Int64(size), "killed before the end")

        let restart = Date()
        try server.start()
        let restartTook = Date().timeIntervalSince(restart)
        XCTAssertNil(try store.size(of: "job/big.bin"), "nothing under the final name")
        let partials = try store.partials("job")
        XCTAssertEqual(partials.map(\.name), ["job/big.bin.partial"])
        let kept = partials.first?.size ?? 0
        XCTAssertGreaterThanOrEqual(kept, Int64(4 * part), "the parts acknowledged before the kill are kept")
        XCTAssertEqual(kept % Int64(part), 0, "whole parts")
        XCTAssertLessThanOrEqual(kept, sentBeforeKill)

        let result = try store.putFile("job/big.bin", localPath: local)
        XCTAssertEqual(result, PutFileResult(bytes: Int64(size), resumedFrom: kept))
        print(String(format: "S3 resume: upload failed after %.1f s, restart took %.1f s, %lld bytes acknowledged before the kill, resumed from %lld of %d",
                     failedAfter, restartTook, sentBeforeKill, kept, size))
        let copy = server.directory + "/copy.bin"
        _ = FileManager.default.createFile(atPath: copy, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: copy))
        try store.get("job/big.bin") { try handle.write(contentsOf: Data($0)) }
        try handle.close()
        XCTAssertEqual(try sha256sum(copy), try sha256sum(local), "byte-identical")
        XCTAssertEqual(try store.partials("job"), [])
    }
}

/// The store contract once behind TLS, with the test CA as `ca_file`; without it the
/// server's certificate is refused, permanently.
final class S3TLSTests: XCTestCase {
    private static let shared = SharedSeaweed(tls: true)

    override class func tearDown() {
        shared.stop()
        super.tearDown()
    }

    func testStoreContractOverTLS() throws {
        let server = try Self.shared.get()
        StoreContract.run { try server.contractSubject(bucket: "plain", https: true) }
    }

    func testUnknownCertificateAuthorityIsRefused() throws {
        let server = try Self.shared.get()
        var options = server.options(bucket: "plain", https: true)
        options.caFile = nil  // the system's CAs do not know the test CA
        let store = try S3Store(options: options)
        XCTAssertThrowsError(try store.list("job")) { error in
            guard let error = error as? StorageError, case .certificate = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.isPermanent)
        }
    }
}
