import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A private temporary folder for one test: the config (mode 0600), `backups/` (local_dir),
/// `state/` (state_dir) and whatever files the test needs. Removed at teardown unless
/// RESPALDO_IT_KEEP=1.
final class Workspace: Sendable {
    let root: String
    var localDir: String { root + "/backups" }
    var stateDir: String { root + "/state" }
    var configPath: String { root + "/respaldo.toml" }

    init(_ label: String = "ws") throws {
        root = try makeTempDirectory(prefix: "respaldo-it-\(label)")
        for dir in [localDir, stateDir] {
            guard mkdir(dir, 0o700) == 0 else { throw TestFailure("mkdir \(dir): \(String(cString: strerror(errno)))") }
        }
    }

    /// Creates a workspace removed when the test ends.
    static func make(for test: XCTestCase, _ label: String = "ws") throws -> Workspace {
        let ws = try Workspace(label)
        test.addTeardownBlock { ws.remove() }
        return ws
    }

    func remove() {
        if ProcessInfo.processInfo.environment["RESPALDO_IT_KEEP"] == "1" {
            print("RESPALDO_IT_KEEP=1: keeping \(root)")
            return
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    // MARK: configuration

    /// The top of a config: local_dir, state_dir and (optionally) `[encryption]`.
    func header(recipients: [String]? = nil) -> String {
        var s = """
        local_dir = \(toml(localDir))
        state_dir = \(toml(stateDir))

        """
        if let recipients {
            s += """

            [encryption]
            recipients = \(toml(recipients))

            """
        }
        return s
    }

    /// Writes `header(recipients:)` followed by `jobs` as the config (mode 0600).
    func writeConfig(recipients: [String]? = nil, _ jobs: String) throws {
        try writeRawConfig(header(recipients: recipients) + "\n" + jobs)
    }

    func writeRawConfig(_ text: String, mode: Int = 0o600) throws {
        try Files.write(configPath, text, mode: mode)
    }

    /// A `[[jobs]]` table for a command job.
    static func commandJob(_ name: String, _ argv: [String], extra: String = "") -> String {
        """
        [[jobs]]
        name = \(toml(name))
        source = "command"
        command = \(toml(argv))
        \(extra)

        """
    }

    // MARK: running respaldo

    /// Runs `respaldo <command> --config <this config> <args...>`.
    func respaldo(_ command: String, _ args: String..., timeout: TimeInterval = 180) throws -> ProcessResult {
        try Subprocess.run(Respaldo.argv(command, config: configPath, args), environment: Respaldo.environment(home: root), timeout: timeout)
    }

    /// Starts respaldo without waiting.
    func startRespaldo(_ command: String, _ args: String..., timeout: TimeInterval = 180) throws -> Subprocess {
        try Subprocess(Respaldo.argv(command, config: configPath, args), environment: Respaldo.environment(home: root), timeout: timeout)
    }

    /// Runs `respaldo backup JOB` and returns the one snapshot id it printed.
    func backup(_ job: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try respaldo("backup", job)
        try requireExit(r, 0, "backup of \(job) failed")
        guard r.stdoutLines.count == 1, let id = r.stdoutLines.first else {
            throw TestFailure("backup of \(job) should print exactly one snapshot id on stdout\n\(r.summary)")
        }
        XCTAssertTrue(matches(id, snapshotIDPattern) && id.hasPrefix(job + "-"), "snapshot id \(id) is not <job>-<UTC YYYYMMDDTHHMMSSZ>", file: file, line: line)
        return id
    }

    // MARK: the snapshot store

    func jobDir(_ job: String) -> String { localDir + "/" + job }

    /// Ids of the complete snapshots of a job (those with a manifest), sorted.
    func snapshotIDs(_ job: String) -> [String] {
        Files.list(jobDir(job)).filter { $0.hasSuffix(".manifest.json") }.map { String($0.dropLast(".manifest.json".count)) }
    }

    func manifestPath(_ job: String, _ id: String) -> String { jobDir(job) + "/\(id).manifest.json" }

    /// The artifact of a snapshot: `<id>.<ext>.gz` or `<id>.<ext>.gz.age`.
    func artifactPath(_ job: String, _ id: String) throws -> String {
        let names = Files.list(jobDir(job)).filter {
            $0.hasPrefix(id + ".") && !$0.hasSuffix(".manifest.json") && !$0.hasSuffix(".sig") && !$0.contains(".partial")
        }
        guard names.count == 1 else {
            throw TestFailure("expected one artifact for \(id) in \(jobDir(job)), found \(names); directory: \(Files.list(jobDir(job)))")
        }
        return jobDir(job) + "/" + names[0]
    }

    func manifest(_ job: String, _ id: String) throws -> [String: Any] {
        let text = String(decoding: try Files.read(manifestPath(job, id)), as: UTF8.self)
        guard let object = try parseJSON(text, "manifest of \(id)") as? [String: Any] else {
            throw TestFailure("manifest of \(id) is not a JSON object: \(text)")
        }
        return object
    }

    /// Every file or directory under the workspace whose name contains `.partial`.
    func partialFiles() -> [String] { Files.tree(root).filter { $0.contains(".partial") } }

    /// `list --json` parsed.
    func listJSON(_ args: String...) throws -> [[String: Any]] {
        let r = try Subprocess.run(Respaldo.argv("list", config: configPath, args + ["--json"]), environment: Respaldo.environment(home: root))
        try requireExit(r, 0, "list --json failed")
        guard let array = try parseJSON(r.stdoutText, "list --json") as? [[String: Any]] else {
            throw TestFailure("list --json is not an array of objects: \(r.stdoutText)")
        }
        return array
    }
}

/// TOML literals.
func toml(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if ch.value < 0x20 { out += String(format: "\\u%04X", ch.value) } else { out.unicodeScalars.append(ch) }
        }
    }
    return out + "\""
}

func toml(_ a: [String]) -> String { "[" + a.map { toml($0) }.joined(separator: ", ") + "]" }

func makeTempDirectory(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory().trimmingSuffix("/") + "/\(prefix).XXXXXX").utf8CString)
    let ok = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
    guard ok else { throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.count > 1 && s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
