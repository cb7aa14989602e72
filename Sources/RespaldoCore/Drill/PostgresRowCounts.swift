import Foundation
import Logging

/// PostgreSQL: a psql session opens a REPEATABLE READ transaction and exports its snapshot;
/// pg_dump runs with `--snapshot` on that very snapshot, and the session counts every table
/// inside the same transaction while the dump runs. Both read exactly the same rows, whatever
/// is written meanwhile. The session stays open until the dump has ended: an exported snapshot
/// lives only as long as its transaction.
final class PostgresRowCounts: RowCountCapture {
    private let counting: CountingSession
    private let snapshot: String

    private init(session: SQLSession, database: String, snapshot: String, logger: Logger) {
        counting = CountingSession(session: session, database: database, counts: "tables", logger: logger)
        self.snapshot = snapshot
    }

    static func begin(_ db: DatabaseSource, environment: [String: String], cancellation: CancellationToken? = nil, logger: Logger) -> PostgresRowCounts? {
        // ON_ERROR_STOP off: a failed count must not end the session, or the exported snapshot
        // would vanish under a pg_dump that has not imported it yet.
        let argv = PostgresClient.psql(host: db.host, port: db.port, user: db.user, database: db.database, extra: ["-v", "ON_ERROR_STOP=0"])
        var session: SQLSession?
        do {
            let opened = try SQLSession(argv: argv, environment: environment, echo: { "\\echo \($0)" }, cancellation: cancellation, logger: logger)
            session = opened
            let lines = try opened.query(
                "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;\nSET LOCAL statement_timeout = 0;\nSELECT pg_catalog.pg_export_snapshot();",
                operation: "exporting a snapshot of \(db.database)")
            guard lines.count == 1, let id = lines.first, !id.isEmpty, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw DrillError.unexpectedOutput("psql", operation: "exporting a snapshot of \(db.database)", output: lines.joined(separator: "\n"))
            }
            return PostgresRowCounts(session: opened, database: db.database, snapshot: id, logger: logger)
        } catch {
            session?.terminate()
            session?.close()
            logger.warning("row counts of \(db.database) not recorded: \(error)")
            return nil
        }
    }

    func dumpArgv(_ argv: [String]) -> [String] {
        [argv[0], "--snapshot=\(snapshot)"] + argv.dropFirst()
    }

    func dumpStarted(pid: pid_t) {
        counting.start { [database = counting.database] session in
            let operation = "counting the rows of \(database)"
            let lines = try session.query("SAVEPOINT respaldo_counts;\n" + PostgresClient.countQuery, operation: operation)
            return try PostgresClient.decodeCounts(lines, operation: operation)
        }
    }

    func finish() -> [TableRowCount]? { counting.finish() }

    func abandon() { counting.abandon() }
}
