import CryptoPrimitives
import Foundation

/// What the row-count capture and the MySQL/MariaDB drill target share.
enum MySQLClient {
    /// The command-line client: MariaDB's name where it is installed.
    static var tool: String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/mariadb") ? "mariadb" : "mysql"
    }

    /// The client in batch mode: tab-separated rows, no headers, output flushed per statement.
    /// `--defaults-extra-file` (credentials) must come first.
    static func client(defaultsArgument: String, database: String, extra: [String] = []) -> [String] {
        [tool, defaultsArgument, "--batch", "--skip-column-names", "--unbuffered"] + extra + ["--database=\(database)"]
    }

    static func quoteIdentifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// The InnoDB base tables of the current database, hex-encoded so that no name can break
    /// a line. Only InnoDB: other engines have no transactions, so neither the dump nor a
    /// count can read them at one point in time.
    static let listTablesQuery = """
        SELECT HEX(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
        AND TABLE_TYPE = 'BASE TABLE' AND ENGINE = 'InnoDB' ORDER BY TABLE_NAME;
        """

    static func decodeTableNames(_ lines: [String], operation: String) throws -> [String] {
        try lines.filter { !$0.isEmpty }.map { hex in
            guard let bytes = Hex.decode(hex) else {
                throw DrillError.unexpectedOutput(tool, operation: operation, output: hex)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// One statement counting every table; each row is `<index>\t<count>`. Nil when there are
    /// no tables.
    static func countQuery(_ tables: [String]) -> String? {
        guard !tables.isEmpty else { return nil }
        return tables.enumerated()
            .map { "SELECT \($0.offset), COUNT(*) FROM \(quoteIdentifier($0.element))" }
            .joined(separator: " UNION ALL ") + ";"
    }

    static func decodeCounts(_ lines: [String], tables: [String], schema: String, operation: String) throws -> [TableRowCount] {
        var rows = [Int64?](repeating: nil, count: tables.count)
        for line in lines where !line.isEmpty {
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let index = Int(fields[0]), rows.indices.contains(index), let count = Int64(fields[1]) else {
                throw DrillError.unexpectedOutput(tool, operation: operation, output: line)
            }
            rows[index] = count
        }
        return try zip(tables, rows).map { name, count in
            guard let count else { throw DrillError.unexpectedOutput(tool, operation: operation, output: "no count for table \(name)") }
            return TableRowCount(schema: schema, name: name, rows: count)
        }
    }
}
