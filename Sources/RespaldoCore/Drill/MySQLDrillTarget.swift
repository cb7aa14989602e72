import Foundation

/// A scratch MySQL/MariaDB database, loaded with the command-line client in sandbox mode (so the
/// dump runs no client command: MySQLSandbox.swift). MySQL commits each
/// DDL statement on its own, so a failed load can leave tables behind in the scratch
/// database; dropping the database removes them all.
final class MySQLDrillTarget: DrillTarget {
    let server: DatabaseSource
    let database: String
    /// The dumped database's name: the schema the manifest's counts name.
    private let schema: String
    private let jobPrefix: String
    private let runner: ToolRunner
    private let defaultsFile: String
    private var defaultsArgument: String { "--defaults-extra-file=\(defaultsFile)" }
    /// Replaces the client as the loader; it finds the scratch database and the credentials
    /// file in RESPALDO_DRILL_DATABASE and RESPALDO_DRILL_DEFAULTS_FILE.
    private let restoreCommand: [String]?

    init(server: DatabaseSource, database: String, schema: String, jobPrefix: String, workDirectory: String, restoreCommand: [String]?, runner: ToolRunner) throws {
        self.server = server
        self.database = database
        self.schema = schema
        self.jobPrefix = jobPrefix
        self.restoreCommand = restoreCommand
        self.runner = runner
        let path = workDirectory + "/my.cnf"
        try writePrivateFile(path, try DumpCommand.mysqlDefaults(server))
        defaultsFile = path
    }

    var description: String {
        "MySQL database \(database) on \(server.host ?? "the local socket")\(server.port.map { ":\($0)" } ?? "")"
    }

    /// Before anything is fetched: the scratch database can be created (and dropped).
    func preflight(_ manifest: Manifest) throws {
        let operation = "checking that the drill may create \(database) on \(server.host ?? "the local socket")"
        do {
            _ = try query("CREATE DATABASE \(MySQLClient.quoteIdentifier(database))", in: nil, operation: operation)
        } catch let DrillError.tool(_, operation, _, tail) where tail.contains("Access denied") {
            let user = server.user ?? "the drill's user"
            throw DrillError.privilege(
                operation: operation, problem: tail,
                fix: "grant it the scratch databases: GRANT ALL ON `respaldo\\_drill\\_%`.* TO '\(user)'@'…'; or set [jobs.drill] user to one that may (nothing was fetched)")
        }
        try drop()
    }

    func create() throws {
        _ = try query("CREATE DATABASE \(MySQLClient.quoteIdentifier(database))", in: nil, operation: "creating scratch database \(database)")
    }

    func load(from next: () throws -> [UInt8]?) throws {
        if let restoreCommand {
            try runner.load(restoreCommand, environment: ["RESPALDO_DRILL_DATABASE": database, "RESPALDO_DRILL_DEFAULTS_FILE": defaultsFile],
                            operation: "running restore_command \(restoreCommand[0]) into \(database)", from: next)
        } else {
            try loadWithClient(from: next)
        }
    }

    /// The client in sandbox mode, the dump through MySQLClientCommandFilter. A client without
    /// sandbox mode is not run at all.
    private func loadWithClient(from next: () throws -> [UInt8]?) throws {
        try MySQLSandbox.check(MySQLClient.tool, runner: runner)
        let filter = MySQLClientCommandFilter()
        do {
            try runner.load(MySQLClient.client(defaultsArgument: defaultsArgument, database: database, extra: MySQLSandbox.arguments),
                            environment: [:], operation: "loading the dump into \(database)") { try filter.next(from: next) }
        } catch let error as DrillError {
            if case let .tool(tool, _, _, stderrTail) = error, let refusal = MySQLSandbox.refusal(in: stderrTail) {
                throw DrillError.clientCommandRefused(tool: tool, by: "sandbox mode", line: refusal.line, message: refusal.message)
            }
            throw error
        }
    }

    func automaticChecks(recorded: [TableRowCount]?) throws -> (summary: String, checks: [DrillCheck]) {
        guard let recorded else { return (RowCountComparison.unavailable, []) }
        let operation = "counting the rows of \(database)"
        do {
            let names = try MySQLClient.decodeTableNames(lines(try query(MySQLClient.listTablesQuery, in: database, operation: operation)), operation: operation)
            var restored: [TableRowCount] = []
            if let count = MySQLClient.countQuery(names) {
                restored = try MySQLClient.decodeCounts(lines(try query(count, in: database, operation: operation)), tables: names, schema: schema, operation: operation)
            }
            return (RowCountComparison.summary(recorded), RowCountComparison.checks(recorded: recorded, restored: restored, matchSchema: false))
        } catch let error as DrillError {
            return (RowCountComparison.summary(recorded), [DrillCheck(kind: "rows", name: database, ok: false, detail: "\(error)")])
        }
    }

    /// A query that must return true (1).
    func configuredCheck(_ sql: String) throws -> DrillCheck {
        do {
            let answer = try query(sql, in: database, operation: "check")
            return answer == "1"
                ? DrillCheck(kind: "sql", name: sql, ok: true, detail: "returned true")
                : DrillCheck(kind: "sql", name: sql, ok: false, detail: "returned \(answer.isEmpty ? "nothing" : "\"\(answer.prefix(200))\""), expected true (1)")
        } catch let error as DrillError {
            return DrillCheck(kind: "sql", name: sql, ok: false, detail: "\(error)")
        }
    }

    func drop() throws {
        let operation = "dropping scratch database \(database)"
        _ = try query("DROP DATABASE IF EXISTS \(MySQLClient.quoteIdentifier(database))", in: nil, operation: operation, cleanup: true)
        let left = try query("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(database)'", in: nil, operation: operation, cleanup: true)
        guard left == "0" else { throw DrillError.cleanup(what: description, reason: "it still exists after DROP DATABASE") }
    }

    func leftovers() -> [String] {
        let pattern = jobPrefix.replacingOccurrences(of: "_", with: "\\\\_") + "%"
        let output = try? query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '\(pattern)' AND SCHEMA_NAME <> '\(database)'",
                                in: nil, operation: "looking for leftover scratch databases", cleanup: true)
        return output.map(lines) ?? []
    }

    private func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }

    /// Runs `sql` (in `database`, or in none); the scratch name holds identifier characters
    /// only, so it can stand in a literal unescaped.
    private func query(_ sql: String, in database: String?, operation: String, cleanup: Bool = false) throws -> String {
        var argv = [MySQLClient.tool, defaultsArgument, "--batch", "--skip-column-names"]
        if let database { argv.append("--database=\(database)") }
        argv += ["--execute=\(sql)"]
        return try runner.run(argv, environment: [:], operation: operation, cleanup: cleanup)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
