import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An error that fails a test with a readable message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

enum Tools {
    /// The full path of `name` in PATH, or nil.
    static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Throws (failing the test, never skipping it) when a required tool is missing.
    static func require(_ name: String, package: String) throws {
        guard which(name) != nil else {
            throw TestFailure("`\(name)` is not installed: install the Debian package `\(package)` (scripts/install-deps.sh does)")
        }
    }

    static var isRoot: Bool { geteuid() == 0 }
}

enum Files {
    /// Lower-case hex SHA-256 of a file (coreutils `sha256sum`).
    static func sha256(_ path: String) throws -> String {
        let r = try Subprocess.checked(["sha256sum", "--", path])
        guard let hex = r.stdoutText.split(separator: " ").first, hex.count == 64 else {
            throw TestFailure("unexpected sha256sum output: \(r.stdoutText)")
        }
        return String(hex)
    }

    static func size(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw TestFailure("stat \(path): \(String(cString: strerror(errno)))") }
        return Int(st.st_size)
    }

    /// Permission bits (e.g. 0o600).
    static func mode(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw TestFailure("stat \(path): \(String(cString: strerror(errno)))") }
        return Int(st.st_mode & 0o7777)
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func read(_ path: String) throws -> Data {
        guard let d = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
        return d
    }

    static func write(_ path: String, _ data: Data, mode: Int = 0o600) throws {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: mode]) else {
            throw TestFailure("cannot write \(path)")
        }
        chmod(path, mode_t(mode))
    }

    static func write(_ path: String, _ text: String, mode: Int = 0o600) throws {
        try write(path, Data(text.utf8), mode: mode)
    }

    /// Every regular file and directory below `root` (relative paths, sorted).
    static func tree(_ root: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String { out.append(p) }
        return out.sorted()
    }

    /// Names in a directory (sorted; empty when it does not exist).
    static func list(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// Flips one bit of the byte at `offset`.
    static func flipByte(_ path: String, at offset: Int) throws {
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var byte: UInt8 = 0
        guard pread(fd, &byte, 1, off_t(offset)) == 1 else { throw TestFailure("pread \(path)") }
        byte ^= 0x01
        guard pwrite(fd, &byte, 1, off_t(offset)) == 1 else { throw TestFailure("pwrite \(path)") }
    }

    static func truncate(_ path: String, to length: Int) throws {
        guard Glibc.truncate(path, off_t(length)) == 0 else { throw TestFailure("truncate \(path)") }
    }
}

/// Parses JSON text into Foundation objects.
func parseJSON(_ text: String, _ what: String) throws -> Any {
    do {
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    } catch {
        throw TestFailure("\(what) is not valid JSON (\(error)):\n\(text.prefix(2000))")
    }
}

/// XCTAssert that a process exited with `code`, printing its output otherwise.
func assertExit(_ r: ProcessResult, _ code: Int32, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.exitCode, code, "\(message)\n\(r.summary)", file: file, line: line)
}

/// Throws unless the process exited with `code`: for steps whose failure makes the rest of the
/// test meaningless.
func requireExit(_ r: ProcessResult, _ code: Int32, _ message: String = "") throws {
    guard r.exitCode == code else {
        throw TestFailure("expected exit \(code): \(message)\n\(r.summary)")
    }
}

let snapshotIDPattern = #"^[A-Za-z0-9._-]+-[0-9]{8}T[0-9]{6}Z$"#

func matches(_ s: String, _ pattern: String) -> Bool {
    s.range(of: pattern, options: .regularExpression) != nil
}

/// PIDs of live processes one of whose argv elements contains `needle` (from /proc).
func processes(withArgument needle: String) -> [pid_t] {
    Files.list("/proc").compactMap { pid_t($0) }.filter { pid in
        guard pid != getpid(), let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return cmdline.split(separator: 0).contains { String(decoding: $0, as: UTF8.self).contains(needle) }
    }
}
