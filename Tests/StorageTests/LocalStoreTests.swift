import Foundation
import Storage
import XCTest

final class LocalStoreTests: XCTestCase {
    private var root: String!
    private var store: LocalStore!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path
        store = LocalStore(root: root)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    /// A final name is never replaced, and a `.partial` planted as a symlink is never followed.
    func testNeverReplacesAndNeverFollowsAPlantedPartial() throws {
        try store.put("job/a.bin", bytes: [1, 2, 3])
        XCTAssertThrowsError(try store.put("job/a.bin", bytes: [4])) { error in
            XCTAssertEqual(error as? StorageError, .alreadyExists(location: "local", name: "job/a.bin"))
        }
        XCTAssertEqual(try store.read("job/a.bin"), [1, 2, 3])
        let victim = root + "/victim"
        XCTAssertTrue(FileManager.default.createFile(atPath: victim, contents: Data("keep".utf8)))
        XCTAssertEqual(symlink(victim, root + "/job/b.bin.partial"), 0)
        try store.put("job/b.bin", bytes: [9, 9])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: victim)), Data("keep".utf8), "the planted link was followed")
        XCTAssertEqual(try store.read("job/b.bin"), [9, 9])
        // A store that may replace (a report the operator rewrites) still never follows one.
        let replacing = LocalStore(root: root, replacesExisting: true)
        try replacing.put("job/a.bin", bytes: [5])
        XCTAssertEqual(try store.read("job/a.bin"), [5])
    }

    func testPutGetListDeleteRoundTrip() throws {
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try store.put("job/a.bin", bytes: bytes)
        XCTAssertEqual(try store.list("job"), [StoredObject(name: "job/a.bin", size: 3_000_000)])
        var read: [UInt8] = []
        try store.get("job/a.bin") { read.append(contentsOf: $0) }
        XCTAssertEqual(read, bytes)
        var tail: [UInt8] = []
        try store.get("job/a.bin", offset: 2_999_990) { tail.append(contentsOf: $0) }
        XCTAssertEqual(tail, Array(bytes.suffix(10)))
        try store.delete("job/a.bin")
        XCTAssertEqual(try store.list("job"), [])
        XCTAssertNil(try store.size(of: "job/a.bin"))
    }

    func testModesArePrivate() throws {
        try store.put("job/a.bin", bytes: [1, 2, 3])
        XCTAssertEqual(try mode(root + "/job/a.bin"), 0o600)
        XCTAssertEqual(try mode(root + "/job"), 0o700)
        XCTAssertEqual(try mode(root), 0o700)
    }

    func testFailingReaderLeavesNothingAndKeepsOldFile() throws {
        struct Boom: Error {}
        try store.put("job/a.bin", bytes: [9, 9, 9])
        var calls = 0
        XCTAssertThrowsError(try store.put("job/a.bin", expectedSize: nil) { buffer in
            calls += 1
            if calls > 2 { throw Boom() }
            buffer[0] = 1
            return 1
        })
        XCTAssertEqual(try store.read("job/a.bin"), [9, 9, 9])
        XCTAssertEqual(try store.partials("job"), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/job/a.bin.partial"))
    }

    func testSizeMismatchIsAnErrorAndPublishesNothing() throws {
        XCTAssertThrowsError(try store.put("job/b.bin", expectedSize: 10) { _ in 0 }) { error in
            XCTAssertEqual(error as? StorageError,
                           .sizeMismatch(location: "local", name: "job/b.bin", expected: 10, actual: 0))
        }
        XCTAssertNil(try store.size(of: "job/b.bin"))
    }

    func testListSkipsPartialsAndReportsThemSeparately() throws {
        try FileManager.default.createDirectory(atPath: root + "/job", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root + "/job/x.partial", contents: Data([1]))
        try store.put("job/y", bytes: [1])
        XCTAssertEqual(try store.list("job").map(\.name), ["job/y"])
        XCTAssertEqual(try store.partials("job").map(\.name), ["job/x.partial"])
    }

    func testRejectsEscapingNames() {
        XCTAssertThrowsError(try store.put("../x", bytes: [1]))
        XCTAssertThrowsError(try store.put("/etc/x", bytes: [1]))
        XCTAssertThrowsError(try store.get("a//b") { _ in })
    }

    func testMissingFileIsNotFound() {
        XCTAssertThrowsError(try store.get("job/none") { _ in }) { error in
            XCTAssertEqual(error as? StorageError, .notFound(location: "local", name: "job/none"))
        }
    }
}
