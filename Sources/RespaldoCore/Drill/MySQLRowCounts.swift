import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// MySQL/MariaDB: mysqldump --single-transaction opens its own transaction, which no other
/// session can share. What is achieved instead, and exactly:
///
/// 1. A session takes `FLUSH TABLES WITH READ LOCK` (no write can commit anywhere on the
///    server while it is held) and starts its own `START TRANSACTION WITH CONSISTENT SNAPSHOT`.
/// 2. The dump starts. The session watches the server's process list until a new connection
///    of the same user runs a statement mysqldump issues only after its own START TRANSACTION
///    (SAVEPOINT sp, SHOW CREATE, SELECT /*!40001 SQL_NO_CACHE */ ...), or until the dump
///    process has ended.
/// 3. `UNLOCK TABLES`; the session counts the InnoDB tables inside its transaction.
///
/// Both snapshots began while no write could commit, so they see the same committed data: the
/// counts are exact for InnoDB tables. Writes wait for the length of step 2 (milliseconds; at
/// most `lock_wait_timeout` = 10 s to get the lock and 10 s to see the dump start, after which
/// the lock is released and no counts are recorded). Tables of other engines are not counted:
/// neither the dump nor anything else reads them at one point in time. A second mysqldump of
/// the same user starting in the same milliseconds could be mistaken for ours.
/// FLUSH TABLES WITH READ LOCK needs the RELOAD privilege; without it no counts are recorded.
final class MySQLRowCounts: RowCountCapture {
    /// How long writes may be held up waiting for the dump to start its transaction.
    static let startTimeout: TimeInterval = 10

    /// Statements mysqldump sends only once its transaction has begun (lower case, prefixes).
    static let statementsAfterStart = [
        "savepoint sp", "rollback to savepoint sp", "show create", "select /*!40001 sql_no_cache",
        "show table status", "show triggers", "show fields", "select distinct tablespace_name",
    ]

    private let counting: CountingSession
    private let tables: [String]

    private init(session: SQLSession, database: String, tables: [String], logger: Logger) {
        counting = CountingSession(session: session, database: database, counts: "InnoDB tables", logger: logger)
        self.tables = tables
    }

    static func begin(_ db: DatabaseSource, defaultsArgument: String, cancellation: CancellationToken? = nil, logger: Logger) -> MySQLRowCounts? {
        let argv = MySQLClient.client(defaultsArgument: defaultsArgument, database: db.database)
        var session: SQLSession?
        do {
            let opened = try SQLSession(argv: argv, environment: [:], echo: { "SELECT '\($0)';" }, cancellation: cancellation, logger: logger)
            session = opened
            _ = try opened.query("""
                SET SESSION lock_wait_timeout = 10;
                FLUSH TABLES WITH READ LOCK;
                SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;
                START TRANSACTION WITH CONSISTENT SNAPSHOT;
                SELECT COALESCE(MAX(ID), 0), SUBSTRING_INDEX(USER(), '@', 1) INTO @respaldo_last_id, @respaldo_user FROM information_schema.PROCESSLIST;
                """, operation: "locking \(db.database) for a consistent count")
            // Listed under the lock: no table can appear or go before the dump's snapshot.
            let operation = "listing the tables of \(db.database)"
            let tables = try MySQLClient.decodeTableNames(try opened.query(MySQLClient.listTablesQuery, operation: operation), operation: operation)
            return MySQLRowCounts(session: opened, database: db.database, tables: tables, logger: logger)
        } catch {
            session?.terminate()
            session?.close()
            logger.warning("row counts of \(db.database) not recorded: \(error)")
            return nil
        }
    }

    func dumpArgv(_ argv: [String]) -> [String] { argv }

    func dumpStarted(pid: pid_t) {
        counting.start { [database = counting.database, tables] session in
            try Self.count(session, database: database, tables: tables, dumpPID: pid)
        }
    }

    private static func count(_ session: SQLSession, database: String, tables: [String], dumpPID: pid_t) throws -> [TableRowCount] {
        let deadline = Date().addingTimeInterval(Self.startTimeout)
        var seen = false
        while !seen {
            let lines = try session.query("""
                SELECT LEFT(LOWER(COALESCE(INFO, '')), 40) FROM information_schema.PROCESSLIST \
                WHERE ID > @respaldo_last_id AND USER = @respaldo_user AND ID <> CONNECTION_ID();
                """, operation: "watching for the dump of \(database)")
            seen = lines.contains { line in Self.statementsAfterStart.contains { line.hasPrefix($0) } } || processEnded(dumpPID)
            if !seen {
                guard Date() < deadline else {
                    session.send("UNLOCK TABLES;")
                    throw DrillError.unexpectedOutput(MySQLClient.tool, operation: "watching for the dump of \(database)",
                                                      output: "its transaction was not seen starting within \(Int(Self.startTimeout)) s")
                }
                usleep(5_000)
            }
        }
        _ = try session.query("UNLOCK TABLES;", operation: "unlocking after the dump of \(database) began")
        guard let query = MySQLClient.countQuery(tables) else { return [] }
        let operation = "counting the rows of \(database)"
        return try MySQLClient.decodeCounts(try session.query(query, operation: operation), tables: tables, schema: database, operation: operation)
    }

    func finish() -> [TableRowCount]? { counting.finish() }

    func abandon() { counting.abandon() }
}

/// True once `pid` has exited (a zombie not yet reaped counts as ended).
func processEnded(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
    return state == "Z" || state == "X"
}
