import Foundation

/// A scratch PostgreSQL database: created from template0 through the server's `postgres`
/// maintenance database, loaded with `psql -v ON_ERROR_STOP=1 --single-transaction` (so a
/// failed or interrupted load commits nothing) in restricted mode (so the dump runs no
/// meta-command: PsqlRestriction.swift), dropped WITH (FORCE) on PostgreSQL 13+.
final class PostgresDrillTarget: DrillTarget {
    let server: DatabaseSource
    let database: String
    private let jobPrefix: String
    private let runner: ToolRunner
    private let environment: [String: String]
    /// Replaces psql as the loader; it finds the scratch database in libpq's variables.
    private let restoreCommand: [String]?

    init(server: DatabaseSource, database: String, jobPrefix: String, workDirectory: String, restoreCommand: [String]?, runner: ToolRunner) throws {
        self.server = server
        self.database = database
        self.jobPrefix = jobPrefix
        self.restoreCommand = restoreCommand
        self.runner = runner
        // Notices (DROP ... IF EXISTS "skipping") are noise in a drill's log.
        var environment = ["PGOPTIONS": "-c client_min_messages=warning", "PGCONNECT_TIMEOUT": "30"]
        if let passwordFile = server.passwordFile {
            let path = workDirectory + "/pgpass"
            try writePrivateFile(path, "*:*:*:*:\(DumpCommand.escapePgpass(try DumpCommand.readPassword(passwordFile)))\n")
            environment["PGPASSFILE"] = path
        }
        self.environment = environment
    }

    var description: String {
        "PostgreSQL database \(database) on \(server.host ?? "the local socket")\(server.port.map { ":\($0)" } ?? "")"
    }

    func create() throws {
        _ = try query("CREATE DATABASE \(PostgresClient.quoteIdentifier(database)) TEMPLATE template0", in: "postgres",
                      operation: "creating scratch database \(database)")
    }

    func load(from next: () throws -> [UInt8]?) throws {
        if let restoreCommand {
            var variables = environment
            variables["PGDATABASE"] = database
            variables["RESPALDO_DRILL_DATABASE"] = database
            if let host = server.host { variables["PGHOST"] = host }
            if let port = server.port { variables["PGPORT"] = "\(port)" }
            if let user = server.user { variables["PGUSER"] = user }
            try runner.load(restoreCommand, environment: variables, operation: "running restore_command \(restoreCommand[0]) into \(database)", from: next)
        } else {
            try loadWithPsql(from: next)
        }
    }

    /// psql in restricted mode (a key of this load's own, fed before the dump), the dump
    /// through PsqlMetaCommandFilter. A psql without restricted mode is not run at all.
    private func loadWithPsql(from next: () throws -> [UInt8]?) throws {
        let versionOutput = try runner.run(["psql", "--version"], environment: environment, operation: "checking the psql client's version")
        guard let version = PsqlRestriction.version(versionOutput), PsqlRestriction.supported(version) else {
            throw DrillError.unsafeLoader("psql", reason: PsqlRestriction.unsupportedReason(versionOutput))
        }
        var restrict: [UInt8]? = PsqlRestriction.restrictLine()
        let filter = PsqlMetaCommandFilter()
        do {
            try runner.load(psql(database, ["-v", "ON_ERROR_STOP=1", "--single-transaction"]), environment: environment,
                            operation: "loading the dump into \(database)") {
                if let first = restrict {
                    restrict = nil
                    return first
                }
                return try filter.next(from: next)
            }
        } catch let error as DrillError {
            if case let .tool(tool, _, _, stderrTail) = error, let message = PsqlRestriction.refusal(in: stderrTail) {
                throw DrillError.clientCommandRefused(tool: tool, by: "restricted mode", line: nil, message: message)
            }
            if case let .tool(tool, operation, termination, stderrTail) = error, let advice = Self.ownershipAdvice(stderrTail) {
                throw DrillError.privilege(operation: operation, problem: "\(tool) failed (\(termination)): \(stderrTail)", fix: advice)
            }
            throw error
        }
    }

    func automaticChecks(recorded: [TableRowCount]?) throws -> (summary: String, checks: [DrillCheck]) {
        guard let recorded else { return (RowCountComparison.unavailable, []) }
        let operation = "counting the rows of \(database)"
        do {
            let output = try query(PostgresClient.countQuery, in: database, operation: operation)
            let restored = try PostgresClient.decodeCounts(output.components(separatedBy: "\n"), operation: operation)
            return (RowCountComparison.summary(recorded), RowCountComparison.checks(recorded: recorded, restored: restored, matchSchema: true))
        } catch let error as DrillError {
            return (RowCountComparison.summary(recorded), [DrillCheck(kind: "rows", name: database, ok: false, detail: "\(error)")])
        }
    }

    /// A query that must return true (`t`).
    func configuredCheck(_ sql: String) throws -> DrillCheck {
        do {
            let answer = try query(sql, in: database, operation: "check")
            return answer == "t"
                ? DrillCheck(kind: "sql", name: sql, ok: true, detail: "returned true")
                : DrillCheck(kind: "sql", name: sql, ok: false, detail: "returned \(answer.isEmpty ? "nothing" : "\"\(answer.prefix(200))\""), expected true")
        } catch let error as DrillError {
            return DrillCheck(kind: "sql", name: sql, ok: false, detail: "\(error)")
        }
    }

    func drop() throws {
        let operation = "dropping scratch database \(database)"
        let version = Int(try query("SHOW server_version_num", in: "postgres", operation: operation, cleanup: true)) ?? 0
        let name = PostgresClient.quoteIdentifier(database)
        // A CREATE DATABASE whose psql was killed (SIGTERM while the scratch database or the
        // preflight's probe was being created) goes on in its backend, and would commit after
        // a DROP that ran meanwhile and found nothing: stop that backend first, which rolls the
        // CREATE back (PostgreSQL 14 and later wait for it to end).
        let creating = "CREATE DATABASE \(name)"
        let wait = version >= 140000 ? ", 10000" : ""
        _ = try query("SELECT pg_terminate_backend(pid\(wait)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND left(query, \(creating.count)) = \(PostgresClient.quoteLiteral(creating))",
                      in: "postgres", operation: operation, cleanup: true)
        if version >= 130000 {
            _ = try query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", in: "postgres", operation: operation, cleanup: true)
        } else {
            _ = try query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(PostgresClient.quoteLiteral(database))",
                          in: "postgres", operation: operation, cleanup: true)
            _ = try query("DROP DATABASE IF EXISTS \(name)", in: "postgres", operation: operation, cleanup: true)
        }
        let left = try query("SELECT count(*) FROM pg_database WHERE datname = \(PostgresClient.quoteLiteral(database))",
                             in: "postgres", operation: operation, cleanup: true)
        guard left == "0" else { throw DrillError.cleanup(what: description, reason: "it still exists after DROP DATABASE") }
    }

    func leftovers() -> [String] {
        let pattern = jobPrefix.replacingOccurrences(of: "_", with: "\\_") + "%"
        let output = try? query("SELECT datname FROM pg_database WHERE datname LIKE \(PostgresClient.quoteLiteral(pattern)) AND datname <> \(PostgresClient.quoteLiteral(database))",
                                in: "postgres", operation: "looking for leftover scratch databases", cleanup: true)
        return output?.split(separator: "\n").map(String.init) ?? []
    }

    private func psql(_ database: String, _ extra: [String]) -> [String] {
        PostgresClient.psql(host: server.host, port: server.port, user: server.user, database: database, extra: extra)
    }

    func query(_ sql: String, in database: String, operation: String, cleanup: Bool = false) throws -> String {
        try runner.run(psql(database, ["-v", "ON_ERROR_STOP=1", "-c", sql]), environment: environment, operation: operation, cleanup: cleanup)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
