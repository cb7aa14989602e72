import Foundation
import Storage
import XCTest

final class LocalStorePutFileTests: XCTestCase {
    func testPutFileCopiesAtomically() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = LocalStore(root: root)
        let source = root + "-source.bin"
        defer { try? FileManager.default.removeItem(atPath: source) }
        let bytes = Data((0..<2_500_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: URL(fileURLWithPath: source))
        var last: Int64 = 0
        let result = try store.putFile("job/f.bin", localPath: source) { sent, total in
            XCTAssertEqual(total, 2_500_000)
            last = sent
        }
        XCTAssertEqual(result, PutFileResult(bytes: 2_500_000, resumedFrom: 0))
        XCTAssertEqual(last, 2_500_000)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: root + "/job/f.bin")), bytes)
        XCTAssertEqual(try store.partials("job"), [])
        XCTAssertThrowsError(try store.putFile("job/g.bin", localPath: root + "/missing")) { error in
            XCTAssertTrue((error as? StorageError)?.isPermanent == true, "\(error)")
        }
    }
}
