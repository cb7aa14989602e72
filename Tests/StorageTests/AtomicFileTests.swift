import Foundation
@testable import Storage
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// writeFileAtomically: the one routine that replaces a file (state files, the metrics
/// textfile, drill reports).
final class AtomicFileTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testReplacesTheFileWithItsModeAndLeavesNoTemporary() throws {
        let path = folder + "/state.json"
        try writeFileAtomically(Array("old".utf8), to: path, temporary: path + ".partial", mode: 0o600)
        XCTAssertEqual(try contents(path), "old")
        XCTAssertEqual(try mode(path), 0o600)
        // The mode is set with fchmod, so the umask (the daemon's is 0077) cannot narrow it.
        let umaskBefore = umask(0o077)
        defer { umask(umaskBefore) }
        try writeFileAtomically(Array("new, and longer".utf8), to: path, temporary: path + ".1.partial", mode: 0o644)
        XCTAssertEqual(try contents(path), "new, and longer")
        XCTAssertEqual(try mode(path), 0o644)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["state.json"])
    }

    /// createPrivateFile: 0600 whatever the umask, and never onto a file or a link already there.
    func testCreatesAPrivateFileOnlyWhereNothingIsYet() throws {
        let path = folder + "/pgpass"
        let umaskBefore = umask(0)
        defer { umask(umaskBefore) }
        try createPrivateFile(Array("*:*:*:*:secret\n".utf8), at: path, sync: true)
        XCTAssertEqual(try contents(path), "*:*:*:*:secret\n")
        XCTAssertEqual(try mode(path), 0o600)

        XCTAssertThrowsError(try createPrivateFile(Array("other".utf8), at: path)) { error in
            XCTAssertEqual(error as? FileWriteFailure, FileWriteFailure(operation: "create", path: path, errno: EEXIST))
        }
        XCTAssertEqual(try contents(path), "*:*:*:*:secret\n", "an existing file is never overwritten")

        let target = folder + "/target"
        try Data("theirs".utf8).write(to: URL(fileURLWithPath: target))
        let planted = folder + "/planted"
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: target)
        XCTAssertThrowsError(try createPrivateFile(Array("secret".utf8), at: planted))
        XCTAssertEqual(try contents(target), "theirs", "a planted link is never followed")
    }

    /// A symlink planted under the temporary name is never followed (O_NOFOLLOW): the write
    /// fails and what it points to stays as it is; a clean temporary then replaces the file.
    func testNeverFollowsASymlinkPlantedAtTheTemporary() throws {
        let path = folder + "/report.json"
        let victim = folder + "/victim"
        XCTAssertTrue(FileManager.default.createFile(atPath: victim, contents: Data("keep".utf8)))
        try writeFileAtomically([1], to: path, temporary: path + ".partial", mode: 0o600)
        XCTAssertEqual(symlink(victim, path + ".partial"), 0)
        XCTAssertThrowsError(try writeFileAtomically([9, 9], to: path, temporary: path + ".partial", mode: 0o600)) { error in
            XCTAssertEqual(error as? FileWriteFailure, FileWriteFailure(operation: "create", path: path + ".partial", errno: ELOOP))
        }
        XCTAssertEqual(try contents(victim), "keep", "the planted link was followed")
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), [1])
        try writeFileAtomically([5], to: path, temporary: path + ".2.partial", mode: 0o600)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), [5])
        XCTAssertEqual(try contents(victim), "keep")
    }

    func testAFailedStepIsNamedAndTheTemporaryRemoved() throws {
        let missing = folder + "/no-such-folder/file"
        XCTAssertThrowsError(try writeFileAtomically([1], to: missing, temporary: missing + ".partial", mode: 0o600)) { error in
            XCTAssertEqual(error as? FileWriteFailure, FileWriteFailure(operation: "create", path: missing + ".partial", errno: ENOENT))
        }
        // A folder where the file should go: the rename fails, and the written temporary goes.
        let occupied = folder + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try writeFileAtomically([1], to: occupied, temporary: occupied + ".partial", mode: 0o600)) { error in
            guard let failure = error as? FileWriteFailure else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.operation, "rename")
            XCTAssertEqual(failure.path, occupied + ".partial")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: occupied + ".partial"))
    }

    /// The folder whose fsync makes the rename durable, as NSString's deletingLastPathComponent
    /// would name it (which traps on a bare name in this Foundation).
    func testParentFolder() {
        let cases = [
            "a/b": "a", "b": ".", "/b": "/", "a//b": "a", "a/b/": "a", "/var/lib/x.json": "/var/lib", "./x": ".", "//a": "/",
        ]
        for (path, expected) in cases {
            XCTAssertEqual(parentFolder(of: path), expected, path)
        }
    }

    private func contents(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    private func mode(_ path: String) throws -> Int {
        let number = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        return number.intValue & 0o777
    }
}
