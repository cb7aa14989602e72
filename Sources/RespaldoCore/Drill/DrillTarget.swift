import Foundation
import Logging
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Where a drill restores to: created empty, loaded from the dump on a loader's standard
/// input, checked, and always dropped. One kind per source: PostgreSQL and MySQL scratch
/// databases, a scratch folder for files and command jobs. `[jobs.drill] restore_command`
/// replaces the loader (psql, mysql, tar); it is required for command jobs.
protocol DrillTarget: AnyObject {
    /// What and where, for the report.
    var description: String { get }
    /// Before anything is fetched: whatever can be known to fail the restore later (the right
    /// to create the scratch database, to take the owners the dump sets) fails now, saying what
    /// to change. Leaves nothing behind.
    func preflight(_ manifest: Manifest) throws
    func create() throws
    /// Streams the dump into the target; the chunks end only once every check of the stream
    /// passed. A failing stream must leave nothing committed.
    func load(from next: () throws -> [UInt8]?) throws
    /// The automatic checks: a summary and their outcomes. Throws only when interrupted.
    func automaticChecks(recorded: [TableRowCount]?) throws -> (summary: String, checks: [DrillCheck])
    /// One `[jobs.drill] checks` entry. Throws only when interrupted.
    func configuredCheck(_ check: String) throws -> DrillCheck
    /// Removes the scratch target; harmless when it does not exist. Runs after an interruption.
    func drop() throws
    /// Scratch targets of this job that earlier, killed drills left behind.
    func leftovers() -> [String]
}

extension DrillTarget {
    func preflight(_ manifest: Manifest) throws {}
}

enum DrillTargets {
    /// The target for `job`, with its credentials written (0600) into `workDirectory`.
    /// The runner's tools get `workDirectory` as HOME.
    static func make(job: JobConfig, scratchName: String, workDirectory: String, runner: ToolRunner) throws -> any DrillTarget {
        let drill = job.drill ?? DrillConfig()
        runner.home = workDirectory
        switch job.source {
        case let .postgres(db):
            return try PostgresDrillTarget(
                server: scratchServer(db, drill), database: scratchName, jobPrefix: ScratchName.prefix(job: job.name),
                workDirectory: workDirectory, restoreCommand: drill.restoreCommand, runner: runner)
        case let .mysql(db):
            return try MySQLDrillTarget(
                server: scratchServer(db, drill), database: scratchName, schema: db.database,
                jobPrefix: ScratchName.prefix(job: job.name), workDirectory: workDirectory,
                restoreCommand: drill.restoreCommand, runner: runner)
        case let .files(paths):
            let loader: FolderDrillTarget.Loader = drill.restoreCommand.map { .command($0) } ?? .tar(jobPaths: paths)
            return FolderDrillTarget(folder: workDirectory + "/restore", loader: loader, runner: runner)
        case .command:
            guard let argv = drill.restoreCommand else {
                throw RespaldoError.usage("job \(job.name): a command job's drill needs [jobs.drill] restore_command (an argv that reads the dump on stdin)")
            }
            return FolderDrillTarget(folder: workDirectory + "/restore", loader: .command(argv), runner: runner)
        }
    }

    /// The server to restore on: the `[jobs.drill]` host, port, user and password_file where
    /// given (a separate DR server), else the job's own.
    static func scratchServer(_ db: DatabaseSource, _ drill: DrillConfig) -> DatabaseSource {
        DatabaseSource(
            database: db.database, host: drill.host ?? db.host, port: drill.port ?? db.port,
            user: drill.user ?? db.user, passwordFile: drill.passwordFile ?? db.passwordFile)
    }
}

/// `respaldo_drill_<job>_<UTC yyyymmddHHMMSS>` in identifier characters: lower case, so
/// PostgreSQL does not fold it, and at most 63 bytes (PostgreSQL's limit; MySQL's is 64).
enum ScratchName {
    static func make(job: String, time: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return prefix(job: job) + formatter.string(from: time)
    }

    /// Everything before the time stamp: what the scratch targets of one job share.
    static func prefix(job: String) -> String {
        let cleaned = String(job.lowercased().unicodeScalars.map { scalar -> Character in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
        })
        // 63 - "respaldo_drill_" (15) - "_" (1) - 14 digits = 33 characters for the job.
        return "respaldo_drill_\(cleaned.prefix(33))_"
    }

    /// True for a scratch name of exactly this job: its prefix then the 14-digit time stamp
    /// (`crm`'s prefix also begins `crm_eu`'s names, which are not `crm`'s to remove).
    static func isScratch(_ name: String, ofJob job: String) -> Bool {
        let prefix = prefix(job: job)
        guard name.hasPrefix(prefix) else { return false }
        let stamp = name.dropFirst(prefix.count)
        return stamp.count == 14 && stamp.allSatisfy { ("0"..."9").contains($0) }
    }
}

/// Compares the restored tables with the counts the manifest recorded at dump time.
enum RowCountComparison {
    static func checks(recorded: [TableRowCount], restored: [TableRowCount], matchSchema: Bool) -> [DrillCheck] {
        var found: [String: Int64] = [:]
        for table in restored { found[key(table, matchSchema)] = table.rows }
        return recorded.map { table in
            let name = table.qualifiedName
            guard let rows = found[key(table, matchSchema)] else {
                return DrillCheck(kind: "rows", name: name, ok: false, detail: "table missing from the restored database (\(table.rows) rows at dump time)")
            }
            return rows == table.rows
                ? DrillCheck(kind: "rows", name: name, ok: true, detail: "\(rows) rows, as at dump time")
                : DrillCheck(kind: "rows", name: name, ok: false, detail: "\(rows) rows restored, \(table.rows) at dump time")
        }
    }

    static func summary(_ recorded: [TableRowCount]) -> String {
        "row counts of \(recorded.count) table\(recorded.count == 1 ? "" : "s") (\(recorded.reduce(0) { $0 + $1.rows }) rows) recorded at dump time"
    }

    static let unavailable = "unavailable: the manifest records no row counts (a snapshot taken before respaldo recorded them, or counting failed at dump time: see that backup's log)"

    private static func key(_ table: TableRowCount, _ matchSchema: Bool) -> String {
        matchSchema ? table.schema + "\u{0}" + table.name : table.name
    }
}

/// Creates `path` afresh (0600, `O_EXCL|O_NOFOLLOW`: never a file or link planted there)
/// holding `contents`.
func writePrivateFile(_ path: String, _ contents: String) throws {
    do {
        try createPrivateFile(Array(contents.utf8), at: path)
    } catch {
        let operation = ["create": "creating", "write": "writing"][error.operation] ?? error.operation
        throw DrillError.io(operation: operation, path: path, error.errno)
    }
}
