import Foundation
import Logging
import Storage
import Synchronization
import XCTest

@testable import RespaldoCore

/// A wall clock the test sets and moves: job unit tests never read the real time.
final class TestClock: Sendable {
    private let time: Mutex<Date>

    init(_ start: Date) { time = Mutex(start) }

    var now: Date { time.withLock { $0 } }

    func advance(by seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

/// One job's world in a temporary folder: a configuration parsed from TOML, the local folder
/// and state_dir on disk, every remote a `MemoryStore`, a clock the test moves, and a log it
/// reads. Jobs get it all through their `Environment`, as they do from the command line.
final class JobTestbed {
    let root: String
    let config: Config
    let clock: TestClock
    let deadlines = ManualDeadlineClock()
    let cancellation = CancellationToken()
    let log = LogCapture()
    let remotes: [String: MemoryStore]
    let env: Environment
    /// The age identity file whose recipient the jobs encrypt to (when `encrypted`).
    let identityFile: String
    /// The folder a `files` job backs up.
    let data: String

    /// 2026-12-01T01:00:00Z: the clock's start.
    static let start = Date(timeIntervalSince1970: 1_796_086_800)

    init(remoteNames: [String] = ["geo"], retention: String = "", encrypted: Bool = true, extraJob: String = "") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-jobs-\(UUID().uuidString)").path
        data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try Data("the data a backup keeps\n".utf8).write(to: URL(fileURLWithPath: data + "/notes.txt"))
        let (identity, recipient) = Keys.generateIdentity()
        identityFile = root + "/identity.txt"
        try Data(identity.utf8).write(to: URL(fileURLWithPath: identityFile))
        chmod(identityFile, 0o600)
        let remoteTables = remoteNames.map { name in
            """
            [[remotes]]
            name = "\(name)"
            url = "sftp://backup@geo.example.com:22/srv/respaldo"
            identity_file = "/etc/respaldo/id_ed25519"
            host_key_sha256 = "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"

            """
        }.joined()
        let text = """
            local_dir = "\(root)/local"
            state_dir = "\(root)/state"
            timezone = "UTC"
            \(encrypted ? "\n[encryption]\nrecipients = [\"\(recipient)\"]\n" : "")
            \(retention.isEmpty ? "" : "[retention]\n\(retention)\n")
            \(remoteTables)
            [[jobs]]
            name = "notes"
            source = "files"
            paths = ["\(data)"]
            remotes = [\(remoteNames.map { "\"\($0)\"" }.joined(separator: ", "))]
            \(extraJob)
            """
        config = try Config.parse(text: text, path: root + "/respaldo.toml", checkFiles: false)
        clock = TestClock(Self.start)
        let stores = Dictionary(remoteNames.map { ($0, MemoryStore(location: $0)) }, uniquingKeysWith: { first, _ in first })
        remotes = stores
        let clock = clock
        env = Environment(
            config: config, local: LocalStore(root: config.localDir), state: StateDirectory(root: config.stateDir),
            clock: RunClock(now: { clock.now }, deadlines: deadlines), cancellation: cancellation,
            logger: log.logger(), actor: AuditActor(actor: "user:tester", runAs: "tester"),
            openRemote: { remote in
                guard let store = stores[remote.name] else { throw RespaldoError.usage("no test store for \(remote.name)") }
                return store
            })
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// One backup of job "notes", the clock then moved on by `gap` (ids are per second).
    @discardableResult
    func backup(upload: Bool = true, gap: TimeInterval = 3600) throws -> BackupRun {
        let run = try BackupJob(env: env, jobName: "notes").runReporting(upload: upload)
        clock.advance(by: gap)
        return run
    }

    func localNames() throws -> [String] {
        try env.local.list("notes").map(\.name).sorted()
    }

    /// The audit log's lines as (action, result) pairs.
    func auditEntries() throws -> [(action: String, result: String, target: String?)] {
        guard let text = try? String(contentsOfFile: env.state.auditLog, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return (object["action"] as? String ?? "", object["result"] as? String ?? "", object["target"] as? String)
        }
    }
}
