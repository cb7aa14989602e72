import Foundation
import XCTest

@testable import RespaldoCore

final class FileSecurityTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-filesec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func file(_ name: String, mode: Int) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func error(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            try body()
            XCTFail("expected a ConfigError", file: file, line: line)
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("expected a ConfigError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testPrivateAcceptsOwnerOnlyModes() throws {
        for mode in [0o600, 0o400, 0o700, 0o611] {
            let path = try file("key-\(mode)", mode: mode)
            XCTAssertNoThrow(try FileSecurity.checkPrivate(path: path, what: "private key"), String(mode, radix: 8))
        }
    }

    func testPrivateRefusesGroupOrOtherAccess() throws {
        let cases: [(Int, String)] = [
            (0o644, "private key is readable by group and others (mode 0644)"),
            (0o640, "private key is readable by its group (mode 0640)"),
            (0o604, "private key is readable by others (mode 0604)"),
            (0o620, "private key is writable by its group (mode 0620)"),
            (0o602, "private key is writable by others (mode 0602)"),
        ]
        for (mode, expected) in cases {
            let path = try file("key-\(mode)", mode: mode)
            guard let error = error({ try FileSecurity.checkPrivate(path: path, what: "private key") }) else { continue }
            XCTAssertEqual(error.kind, .insecurePermissions)
            XCTAssertEqual(error.file, path)
            XCTAssertNil(error.line)
            XCTAssertEqual(error.description, "\(path): \(expected); it must be private: run chmod 600 \(path)")
        }
    }

    func testNotWritableByOthers() throws {
        for mode in [0o644, 0o600, 0o444, 0o755] {
            let path = try file("cfg-\(mode)", mode: mode)
            XCTAssertNoThrow(try FileSecurity.checkNotWritableByOthers(path: path, what: "config file"))
        }
        let cases: [(Int, String)] = [
            (0o664, "writable by its group (mode 0664)"),
            (0o646, "writable by others (mode 0646)"),
            (0o666, "writable by group and others (mode 0666)"),
        ]
        for (mode, expected) in cases {
            let path = try file("cfg-\(mode)", mode: mode)
            guard let error = error({ try FileSecurity.checkNotWritableByOthers(path: path, what: "config file") })
            else { continue }
            XCTAssertEqual(error.kind, .insecurePermissions)
            XCTAssertEqual(
                error.description,
                "\(path): config file is \(expected); only its owner may change it: run chmod go-w \(path)")
        }
    }

    func testMissingFileAndNotARegularFile() throws {
        let missing = dir.appendingPathComponent("missing").path
        let e1 = error { try FileSecurity.checkPrivate(path: missing, what: "password file") }
        XCTAssertEqual(e1?.kind, .fileProblem)
        XCTAssertEqual(e1?.description, "\(missing): password file does not exist")

        let e2 = error { try FileSecurity.checkNotWritableByOthers(path: self.dir.path, what: "known_hosts file") }
        XCTAssertEqual(e2?.kind, .fileProblem)
        XCTAssertEqual(e2?.description, "\(dir.path): known_hosts file is not a regular file (it is a directory)")

        let regular = try file("regular", mode: 0o600)
        let underFile = regular + "/child"
        let e3 = error { try FileSecurity.checkPrivate(path: underFile, what: "identity file") }
        XCTAssertEqual(e3?.kind, .fileProblem)
        XCTAssertTrue(e3?.description.contains("identity file does not exist") ?? false, "\(String(describing: e3))")
    }

    func testSymlinksAreFollowed() throws {
        let target = try file("target", mode: 0o600)
        let link = dir.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        // The link itself is 0777; the target's mode is what counts.
        XCTAssertNoThrow(try FileSecurity.checkPrivate(path: link, what: "private key"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: target)
        let e = error { try FileSecurity.checkPrivate(path: link, what: "private key") }
        XCTAssertEqual(e?.kind, .insecurePermissions)
        XCTAssertTrue(e?.description.contains("(mode 0644)") ?? false)

        let dangling = dir.appendingPathComponent("dangling").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: dir.appendingPathComponent("gone").path)
        XCTAssertEqual(error { try FileSecurity.checkPrivate(path: dangling, what: "private key") }?.kind, .fileProblem)
    }

    func testPathsNeedingQuotesAreQuotedInTheAdvice() throws {
        let path = try file("my key's file", mode: 0o644)
        let e = error { try FileSecurity.checkPrivate(path: path, what: "private key") }
        let quoted = "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
        XCTAssertTrue(e?.description.hasSuffix("run chmod 600 \(quoted)") ?? false, "\(String(describing: e))")
        XCTAssertEqual(FileSecurity.octal(0o600), "0600")
        XCTAssertEqual(FileSecurity.octal(0o4755), "4755")
    }
}
