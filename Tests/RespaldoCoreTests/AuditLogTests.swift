import Foundation
import Logging
import XCTest

@testable import RespaldoCore

final class AuditLogTests: XCTestCase {
    var dir: String!
    static let childDirVariable = "RESPALDO_AUDIT_CHILD_DIR"
    static let threads = 4
    static let linesPerThread = 100
    /// A long error makes each line about 1.7 KB, so that torn or interleaved writes would show.
    static let longError = "upload to geo failed: " + String(repeating: "connection reset; ", count: 90)

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-audit-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(atPath: dir) }
    }

    func testLineHasEveryFieldAndIsPrivate() throws {
        let log = AuditLog(stateDir: dir, actor: AuditActor(actor: "user:alice(uid 1000)", runAs: "root(uid 0)"))
        let time = Date(timeIntervalSince1970: 1_763_700_000)
        try log.append(
            AuditEvent(action: .pruneDelete, job: "crm", snapshot: "crm-20251121T044000Z", target: "geo", result: .failed, error: "rm failed:\n\"denied\""),
            at: time)
        try log.append(AuditEvent(action: .backup, job: "crm", result: .ok), at: time)

        let lines = try auditLines()
        XCTAssertEqual(lines.count, 2)
        let first = lines[0]
        XCTAssertEqual(first["time"] as? String, "2025-11-21T04:40:00Z")
        XCTAssertEqual(first["actor"] as? String, "user:alice(uid 1000)")
        XCTAssertEqual(first["run_as"] as? String, "root(uid 0)")
        XCTAssertEqual(first["action"] as? String, "prune-delete")
        XCTAssertEqual(first["job"] as? String, "crm")
        XCTAssertEqual(first["snapshot"] as? String, "crm-20251121T044000Z")
        XCTAssertEqual(first["target"] as? String, "geo")
        XCTAssertEqual(first["result"] as? String, "failed")
        XCTAssertEqual(first["error"] as? String, "rm failed:\n\"denied\"")
        XCTAssertEqual(first["pid"] as? Int, Int(getpid()))
        XCTAssertEqual(first["host"] as? String, ProcessInfo.processInfo.hostName)
        XCTAssertEqual(Set(lines[1].keys), ["time", "actor", "run_as", "host", "pid", "action", "job", "result"], "absent optionals are left out")

        var info = stat()
        XCTAssertEqual(stat(dir + "/audit.log", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }

    func testActorNamesTheSudoUserAndTheRealAccount() {
        let root = AuditActor.currentUser(environment: ["SUDO_USER": "alice", "SUDO_UID": "1000"], uid: 0)
        XCTAssertEqual(root, AuditActor(actor: "user:alice(uid 1000)", runAs: "root(uid 0)"))
        let plain = AuditActor.currentUser(environment: [:], uid: 0)
        XCTAssertEqual(plain, AuditActor(actor: "user:root(uid 0)", runAs: "root(uid 0)"))
        let unknown = AuditActor.currentUser(environment: [:], uid: 54321)
        XCTAssertEqual(unknown.actor, "user:?(uid 54321)")
        XCTAssertEqual(AuditActor.daemon(uid: 0), AuditActor(actor: "daemon", runAs: "root(uid 0)"))
    }

    func testConcurrentThreadsNeverInterleave() throws {
        try appendFromThreads(AuditLog(stateDir: dir, actor: .daemon()), tag: "main")
        let lines = try auditLines()
        XCTAssertEqual(lines.count, Self.threads * Self.linesPerThread)
        XCTAssertEqual(Set(lines.compactMap { $0["snapshot"] as? String }).count, lines.count, "every line is whole and distinct")
    }

    func testConcurrentProcessesNeverInterleave() throws {
        // Several copies of this test binary append at once, each from several threads.
        let processes = 4
        let argv = [try selfExecutable(), "RespaldoCoreTests.AuditLogTests/testAppenderChildProcess"]
        var children: [pid_t] = []
        defer {
            for pid in children {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        for index in 0..<processes {
            var pid: pid_t = 0
            let env = ProcessInfo.processInfo.environment.merging([Self.childDirVariable: dir, "RESPALDO_AUDIT_CHILD_TAG": "p\(index)"]) { $1 }
            let cArgv = argv.map { strdup($0) } + [nil]
            let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                cArgv.forEach { free($0) }
                cEnv.forEach { free($0) }
            }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgv, cEnv)
            XCTAssertEqual(rc, 0, "spawn \(argv[0])")
            if rc == 0 { children.append(pid) }
        }
        let deadline = Date().addingTimeInterval(120)
        var remaining = children
        while !remaining.isEmpty && Date() < deadline {
            remaining = remaining.filter { pid in
                var status: Int32 = 0
                guard waitpid(pid, &status, WNOHANG) == pid else { return true }
                XCTAssertEqual(status, 0, "child \(pid) exit status")
                return false
            }
            usleep(20_000)
        }
        XCTAssertEqual(remaining, [], "children still running after 120 s")
        children = remaining

        let lines = try auditLines()
        XCTAssertEqual(lines.count, processes * Self.threads * Self.linesPerThread)
        XCTAssertEqual(Set(lines.compactMap { $0["snapshot"] as? String }).count, lines.count)
        XCTAssertEqual(Set(lines.compactMap { $0["pid"] as? Int }).count, processes)
    }

    /// The body of each child of testConcurrentProcessesNeverInterleave; nothing otherwise.
    func testAppenderChildProcess() throws {
        let env = ProcessInfo.processInfo.environment
        guard let childDir = env[Self.childDirVariable] else { return }
        try appendFromThreads(AuditLog(stateDir: childDir, actor: .daemon()), tag: env["RESPALDO_AUDIT_CHILD_TAG"] ?? "child")
    }

    func testFailureToWriteIsLoggedNotThrown() throws {
        // state_dir is a regular file: the log cannot be created under it.
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir))
        let log = AuditLog(stateDir: dir, actor: .daemon())
        XCTAssertThrowsError(try log.append(AuditEvent(action: .verify, job: "crm", result: .ok)))
        let captured = CapturedLog()
        let logger = Logger(label: "test") { _ in captured }
        log.record(AuditEvent(action: .verify, job: "crm", result: .ok), logger: logger)
        XCTAssertEqual(captured.messages.count, 1)
        XCTAssertTrue(captured.messages.first?.contains(dir) ?? false, "\(captured.messages)")
    }

    // MARK: - Helpers

    private func appendFromThreads(_ log: AuditLog, tag: String) throws {
        let failures = LockedFlag(false)
        DispatchQueue.concurrentPerform(iterations: Self.threads) { thread in
            for n in 0..<Self.linesPerThread {
                let event = AuditEvent(
                    action: .upload, job: "crm", snapshot: "\(tag)-t\(thread)-\(n)", target: "geo", result: .failed, error: Self.longError)
                do { try log.append(event) } catch { failures.value = true }
            }
        }
        XCTAssertFalse(failures.value, "an append failed")
    }

    private func auditLines() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: dir + "/audit.log", encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ToolError("audit line is not a JSON object: \(line.prefix(200))")
            }
            return object
        }
    }

    private func selfExecutable() throws -> String {
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        guard FileManager.default.isExecutableFile(atPath: path) else { throw ToolError("test binary \(path) is not executable") }
        return path
    }
}

/// A log handler that keeps messages for assertions.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    var messages: [String] { lock.withLock { stored } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { stored.append("\(event.message)") }
    }
}
