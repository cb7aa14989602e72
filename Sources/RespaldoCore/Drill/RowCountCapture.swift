import Foundation
import Logging

/// Records, while a database is dumped, every table's exact row count as the dump sees it, so
/// that a drill can compare the restored database with the original.
///
/// Counting is an aid to the drill, not part of the backup: when it cannot be done (the
/// server refuses a snapshot export or a global read lock, a table cannot be read by the
/// counting session, `dump_args` select tables so the counts would not describe the dump) the
/// backup goes on, a warning is logged, and the manifest has no `tables`. A backup that failed
/// because of a count would trade the copy itself for metadata about it; the drill then says
/// its automatic checks are unavailable, which is loud enough to be fixed.
protocol RowCountCapture: AnyObject {
    /// The dump's argv with whatever makes it share the counted snapshot.
    func dumpArgv(_ argv: [String]) -> [String]
    /// The dump process started: counting may begin.
    func dumpStarted(pid: pid_t)
    /// The dump succeeded: the counts, or nil (with a warning logged) when there are none.
    func finish() -> [TableRowCount]?
    /// The dump failed: ends the counting session without waiting for it.
    func abandon()
}

enum RowCounts {
    /// Starts counting for `source`; nil for sources without tables or when counting is not
    /// possible (logged). Call after the dump's secret files exist: the counting session
    /// connects with the same credentials, from the same environment or defaults file.
    /// `cancellation` stops the session (a silent server must not hold a run past its timeout).
    static func begin(for source: SourceConfig, command: DumpCommand, cancellation: CancellationToken? = nil, logger: Logger) -> (any RowCountCapture)? {
        switch source {
        case let .postgres(db):
            if let flag = db.dumpArgs.first(where: selects(postgresFilters)) {
                logger.warning("row counts of \(db.database) not recorded: dump_args \(flag) changes which rows the dump holds")
                return nil
            }
            return PostgresRowCounts.begin(db, environment: command.environment, cancellation: cancellation, logger: logger)
        case let .mysql(db):
            if let flag = db.dumpArgs.first(where: selects(mysqlFilters)) {
                logger.warning("row counts of \(db.database) not recorded: dump_args \(flag) changes which rows the dump holds or how it locks")
                return nil
            }
            guard let defaults = command.argv.first(where: { $0.hasPrefix("--defaults-extra-file=") }) else { return nil }
            return MySQLRowCounts.begin(db, defaultsArgument: defaults, cancellation: cancellation, logger: logger)
        case .files, .command:
            return nil
        }
    }

    /// pg_dump options after which the dump no longer holds every row of every user table.
    static let postgresFilters = [
        "-t", "--table", "-T", "--exclude-table", "-n", "--schema", "-N", "--exclude-schema",
        "--exclude-table-data", "--table-and-children", "--exclude-table-and-children",
        "--exclude-table-data-and-children", "-s", "--schema-only", "--section",
        "--no-unlogged-table-data", "--snapshot", "--serializable-deferrable",
    ]

    /// mysqldump options that select rows or tables, or lock in a way the count session's
    /// global read lock would conflict with.
    static let mysqlFilters = [
        "--ignore-table", "--ignore-table-data", "-w", "--where", "-d", "--no-data", "--tables",
        "-B", "--databases", "-A", "--all-databases", "-x", "--lock-all-tables", "-l", "--lock-tables",
        "--skip-single-transaction", "--master-data", "--dump-slave", "-F", "--flush-logs",
    ]

    /// Matches `--flag`, `--flag=value` and, for one-letter flags, `-fvalue`.
    private static func selects(_ flags: [String]) -> (String) -> Bool {
        { argument in
            flags.contains { flag in
                argument == flag || argument.hasPrefix(flag + "=")
                    || (!flag.hasPrefix("--") && argument.hasPrefix(flag) && !argument.hasPrefix("--"))
            }
        }
    }
}
