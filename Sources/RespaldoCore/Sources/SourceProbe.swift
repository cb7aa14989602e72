import Foundation
import Logging

/// `check-config --connect` for a job's source: does what the dump will do, without the data.
/// A database is dumped with `--schema-only` (pg_dump) or `--no-data` (mariadb-dump) through the
/// very argv, credentials and environment of a backup, so the connection, the authentication,
/// the client's version against the server's and the privileges (pg_dump locks every table it
/// would read) are all tried; a files job's paths must be readable; a command job's program
/// must be there.
public struct SourceProbe {
    public struct Outcome: Sendable {
        /// "database crm on db1:5432 as crm_backup", "paths /etc, /srv", "command /usr/local/bin/dump".
        public var what: String
        /// Why it would fail, with the fix when one is known; nil when it works.
        public var problem: String?
    }

    public let stateDir: String
    public let logger: Logger

    public init(stateDir: String, logger: Logger) {
        self.stateDir = stateDir
        self.logger = logger
    }

    public func check(_ job: JobConfig) -> Outcome {
        switch job.source {
        case let .postgres(db), let .mysql(db):
            let what = "database \(db.database) on \(db.host ?? "the local socket")\(db.port.map { ":\($0)" } ?? "") as \(db.user ?? "\(currentUserName()) (peer)")"
            return Outcome(what: what, problem: probeDatabase(job))
        case let .files(paths):
            let unreadable = paths.filter { access($0, R_OK) != 0 }
            return Outcome(what: "paths \(paths.joined(separator: ", "))",
                           problem: unreadable.isEmpty ? nil : "not readable here: \(unreadable.joined(separator: ", "))")
        case let .command(argv):
            let program = argv[0]
            let found = program.contains("/") ? access(program, X_OK) == 0 : executableInPath(program) != nil
            return Outcome(what: "command \(program)", problem: found ? nil : "\(program) is not an executable program here")
        }
    }

    private func probeDatabase(_ job: JobConfig) -> String? {
        let runDirectory = StateDirectory(root: stateDir).probeDirectory(job: job.name, pid: getpid())
        do {
            try makePrivateDirectory(runDirectory)
        } catch {
            return "cannot create \(runDirectory): \(error)"
        }
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        do {
            var command = try DumpCommand.make(for: job.source, runDirectory: runDirectory)
            for secret in command.secretFiles { try writePrivateFile(secret.path, secret.contents) }
            if case .postgres = job.source {
                command.argv.append("--schema-only")
            } else if let separator = command.argv.firstIndex(of: "--") {
                command.argv.insert("--no-data", at: separator)
            }
            let child = try ChildProcess(argv: command.argv, environment: dumpEnvironment(adding: command.environment))
            let stderr = StderrCollector(fd: child.stderrFD, tool: command.toolName, logger: logger)
            let drain = OutputDrain(fd: child.stdoutFD)
            let termination = child.wait()
            drain.wait()
            guard termination == .exited(0) else {
                let tail = stderr.finalTail()
                return "\(command.toolName) failed (\(termination))" + (tail.isEmpty ? "" : ": \(tail)") + Self.hint(tail, job: job)
            }
            stderr.release()
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The grant that fixes a privilege failure.
    static func hint(_ stderr: String, job: JobConfig) -> String {
        guard stderr.contains("permission denied") else { return "" }
        switch job.source {
        case let .postgres(db):
            let role = db.user ?? currentUserName()
            return "; the dump's role needs to read every table: GRANT pg_read_all_data TO \(role); (PostgreSQL 14+), else GRANT SELECT on each table and sequence"
        case let .mysql(db):
            let user = db.user ?? currentUserName()
            return "; the dump's user needs SELECT, SHOW VIEW, TRIGGER, LOCK TABLES and EVENT on \(db.database): GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON \(db.database).* TO '\(user)'@'localhost';"
        default:
            return ""
        }
    }
}

func currentUserName() -> String {
    getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
}

/// The full path of `program` in PATH, or nil.
func executableInPath(_ program: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
}
