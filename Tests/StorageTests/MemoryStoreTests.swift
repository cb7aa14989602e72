import Foundation
import Storage
import StoreContract
import XCTest

/// MemoryStore, the reference implementation for job tests: the contract, and its fault hooks.
final class MemoryStoreTests: XCTestCase {
    func testStoreContract() {
        StoreContract.run {
            let store = MemoryStore(location: "memory")
            return StoreSubject(store: store, plantPartial: store.plantPartial, resumesPartials: true)
        }
    }

    func testFailedPutFileKeepsItsPartialAndTheNextOneResumes() throws {
        let store = MemoryStore()
        let bytes = randomBytes(5_000_000)
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("memory-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: local) }
        try Data(bytes).write(to: URL(fileURLWithPath: local))
        let dropped = StorageError.remote(location: "memory", operation: "upload", name: "job/f", code: 56, message: "dropped")
        store.failNext(.putFile, with: dropped, afterBytes: 2 << 20)
        XCTAssertThrowsError(try store.putFile("job/f", localPath: local)) { XCTAssertEqual($0 as? StorageError, dropped) }
        XCTAssertEqual(try store.partials("job"), [StoredObject(name: "job/f.partial", size: 2 << 20)])
        XCTAssertEqual(try store.putFile("job/f", localPath: local), PutFileResult(bytes: 5_000_000, resumedFrom: 2 << 20))
        XCTAssertEqual(store.contents(of: "job/f"), bytes)
        XCTAssertEqual(store.allNames, ["job/f"])
    }

    func testFailNextFailsOneCallOnly() throws {
        let store = MemoryStore()
        let failure = StorageError.remote(location: "memory", operation: "list", name: "", code: 7, message: "refused")
        store.failNext(.list, with: failure)
        XCTAssertThrowsError(try store.list("job")) { XCTAssertEqual($0 as? StorageError, failure) }
        XCTAssertEqual(try store.list("job"), [])
    }
}
