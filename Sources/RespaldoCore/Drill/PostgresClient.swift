import Foundation

/// What the row-count capture and the PostgreSQL drill target share: psql's connection
/// arguments, quoting, and the query that counts every user table.
enum PostgresClient {
    /// psql with no startup file, no password prompt (the password comes from PGPASSFILE),
    /// unaligned tuples-only output, and the connection given by flags (never a conninfo
    /// string with a password in it).
    static func psql(host: String?, port: Int?, user: String?, database: String, extra: [String] = []) -> [String] {
        var argv = ["psql", "-X", "-q", "-A", "-t", "--no-password"]
        if let host { argv.append("--host=\(host)") }
        if let port { argv.append("--port=\(port)") }
        if let user { argv.append("--username=\(user)") }
        return argv + extra + ["--dbname=\(database)"]
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func quoteLiteral(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Every ordinary table outside the system schemas (partitions included, partitioned
    /// parents not, so no row is counted twice; extension-owned tables excluded, as pg_dump
    /// leaves their data out), with `count(*)` run inside the current transaction's snapshot.
    /// jsonb prints on one line whatever the names hold.
    static let countQuery = """
        SELECT coalesce(jsonb_agg(jsonb_build_object('schema', n.nspname, 'name', c.relname, 'rows', \
        (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint) \
        ORDER BY n.nspname, c.relname), '[]'::jsonb) \
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
        WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' \
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
        AND d.objid = c.oid AND d.deptype = 'e');
        """

    static func decodeCounts(_ lines: [String], operation: String) throws -> [TableRowCount] {
        let text = lines.filter { !$0.isEmpty }
        guard text.count == 1, let counts = try? JSONDecoder().decode([TableRowCount].self, from: Data(text[0].utf8)) else {
            throw DrillError.unexpectedOutput("psql", operation: operation, output: lines.joined(separator: "\n"))
        }
        return counts
    }
}
