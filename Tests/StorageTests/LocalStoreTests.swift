import Foundation
import Storage
import StoreContract
import XCTest

/// LocalStore: the store contract, plus what only a local folder has (file modes, planted
/// symlinks).
final class LocalStoreTests: XCTestCase {
    private var roots: [String] = []

    override func tearDownWithError() throws {
        for root in roots { try? FileManager.default.removeItem(atPath: root) }
    }

    private func makeRoot() -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path
        roots.append(root)
        return root
    }

    func testStoreContract() {
        StoreContract.run {
            let root = makeRoot()
            return StoreSubject(
                store: LocalStore(root: root),
                plantPartial: { name, bytes in
                    let path = root + "/" + name + ".partial"
                    try FileManager.default.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                },
                resumesPartials: false)  // a local copy is cheap to redo
        }
    }

    func testModesArePrivate() throws {
        let root = makeRoot()
        let store = LocalStore(root: root)
        try store.put("job/a.bin", bytes: [1, 2, 3])
        XCTAssertEqual(try mode(root + "/job/a.bin"), 0o600)
        XCTAssertEqual(try mode(root + "/job"), 0o700)
        XCTAssertEqual(try mode(root), 0o700)
    }

    /// A `.partial` planted as a symlink is never followed. (Replacing a file, as a report the
    /// operator rewrites, is writeFileAtomically's: AtomicFileTests.)
    func testNeverFollowsAPlantedPartial() throws {
        let root = makeRoot()
        let store = LocalStore(root: root)
        try store.put("job/a.bin", bytes: [1, 2, 3])
        let victim = root + "/victim"
        XCTAssertTrue(FileManager.default.createFile(atPath: victim, contents: Data("keep".utf8)))
        XCTAssertEqual(symlink(victim, root + "/job/b.bin.partial"), 0)
        try store.put("job/b.bin", bytes: [9, 9])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: victim)), Data("keep".utf8), "the planted link was followed")
        XCTAssertEqual(try store.read("job/b.bin"), [9, 9])
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }
}
