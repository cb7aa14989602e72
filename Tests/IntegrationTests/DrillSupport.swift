import Foundation
import XCTest

/// What the drill tests share: a shop database with tables, indexes, foreign keys and a few
/// tens of thousands of rows, the report, and the "nothing left behind" assertions.
enum DrillFixture {
    static let rows = ["customers": 5000, "orders": 20000, "order_lines": 20000]

    static let postgresSchema = """
        CREATE TABLE customers (
            id integer PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL
        );
        CREATE TABLE orders (
            id bigserial PRIMARY KEY,
            customer_id integer NOT NULL REFERENCES customers(id),
            amount numeric(12,2) NOT NULL,
            note text
        );
        CREATE INDEX orders_customer_idx ON orders (customer_id);
        CREATE TABLE order_lines (
            order_id bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            line integer NOT NULL,
            sku text NOT NULL,
            qty integer NOT NULL CHECK (qty > 0),
            PRIMARY KEY (order_id, line)
        );
        INSERT INTO customers
            SELECT g, 'customer ' || g || CASE WHEN g % 7 = 0 THEN ' ünïcødé ''quoted''' ELSE '' END,
                   'c' || g || '@example.com', timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
            FROM generate_series(1, 5000) g;
        INSERT INTO orders (customer_id, amount, note)
            SELECT 1 + (g % 5000), (g * 7 % 100000) / 100.0, CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g END
            FROM generate_series(1, 20000) g;
        INSERT INTO order_lines
            SELECT o, l, 'SKU-' || (o * l % 997), l FROM generate_series(1, 10000) o, generate_series(1, 2) l;
        """

    static let mysqlSchema = """
        CREATE TABLE customers (
            id INT PRIMARY KEY,
            name VARCHAR(200) NOT NULL,
            email VARCHAR(200) NOT NULL UNIQUE
        ) ENGINE=InnoDB;
        CREATE TABLE orders (
            id BIGINT AUTO_INCREMENT PRIMARY KEY,
            customer_id INT NOT NULL,
            amount DECIMAL(12,2) NOT NULL,
            note TEXT,
            INDEX orders_customer_idx (customer_id),
            FOREIGN KEY (customer_id) REFERENCES customers(id)
        ) ENGINE=InnoDB;
        CREATE TABLE order_lines (
            order_id BIGINT NOT NULL,
            line INT NOT NULL,
            sku VARCHAR(20) NOT NULL,
            qty INT NOT NULL,
            PRIMARY KEY (order_id, line),
            FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE
        ) ENGINE=InnoDB;
        INSERT INTO customers SELECT seq, CONCAT('customer ', seq, IF(seq % 7 = 0, ' ünïcødé ''quoted''', '')), CONCAT('c', seq, '@example.com') FROM seq_1_to_5000;
        INSERT INTO orders (customer_id, amount, note) SELECT 1 + (seq % 5000), (seq * 7 % 100000) / 100.0, IF(seq % 3 = 0, NULL, CONCAT('note ', seq)) FROM seq_1_to_20000;
        INSERT INTO order_lines SELECT o.seq, l.seq, CONCAT('SKU-', o.seq * l.seq % 997), l.seq FROM seq_1_to_10000 o, seq_1_to_2 l;
        """

    static func postgresJob(_ name: String, _ pg: PostgresServer, database: String, passwordFile: String, extra: String = "") -> String {
        """
        [[jobs]]
        name = \(toml(name))
        source = "postgres"
        database = \(toml(database))
        host = \(toml(pg.host))
        port = \(pg.port)
        user = \(toml(pg.user))
        password_file = \(toml(passwordFile))
        \(extra)

        """
    }

    /// Databases whose name says a drill made them.
    static func scratchDatabases(_ pg: PostgresServer) throws -> [String] {
        try pg.psql("SELECT datname FROM pg_database WHERE datname LIKE 'respaldo\\_drill\\_%'")
            .split(separator: "\n").map(String.init)
    }

    static func scratchDatabases(_ my: MariaDBServer) throws -> [String] {
        try my.sql("SHOW DATABASES LIKE 'respaldo\\_drill\\_%'").split(separator: "\n").map(String.init)
    }

    /// The `--report` file, parsed.
    static func report(_ path: String) throws -> [String: Any] {
        let text = String(decoding: try Files.read(path), as: UTF8.self)
        guard let object = try parseJSON(text, "drill report") as? [String: Any] else {
            throw TestFailure("the drill report is not a JSON object: \(text)")
        }
        return object
    }

    static func checks(_ report: [String: Any]) -> [[String: Any]] {
        report["checks"] as? [[String: Any]] ?? []
    }

    /// The checks of a kind, by name, with their `ok`.
    static func outcomes(_ report: [String: Any], kind: String) -> [String: Bool] {
        var out: [String: Bool] = [:]
        for check in checks(report) where check["kind"] as? String == kind {
            if let name = check["name"] as? String { out[name] = check["ok"] as? Bool }
        }
        return out
    }

    /// The manifest's recorded `tables`, as `schema.name: rows`.
    static func recordedCounts(_ ws: Workspace, _ job: String, _ id: String) throws -> [String: Int] {
        guard let tables = try ws.manifest(job, id)["tables"] as? [[String: Any]] else {
            throw TestFailure("the manifest of \(id) has no tables: \(try ws.manifest(job, id))")
        }
        var out: [String: Int] = [:]
        for table in tables {
            if let schema = table["schema"] as? String, let name = table["name"] as? String, let rows = table["rows"] as? Int {
                out["\(schema).\(name)"] = rows
            }
        }
        return out
    }

    /// Nothing of any drill is left in the state folder (spool, credentials, scratch folders).
    static func assertNoWorkFolders(_ ws: Workspace, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Files.list(ws.stateDir + "/drill"), [], "a drill left files in \(ws.stateDir)/drill", file: file, line: line)
    }

    /// Asserts the report's phases are numbers, non-negative, and add up sensibly.
    static func assertPhases(_ report: [String: Any], file: StaticString = #filePath, line: UInt = #line) {
        guard let phases = report["phases"] as? [String: Any] else {
            return XCTFail("the report has no phases: \(report)", file: file, line: line)
        }
        for key in ["fetch_verify_seconds", "decrypt_decompress_seconds", "restore_seconds", "checks_seconds", "total_seconds", "cleanup_seconds"] {
            guard let value = phases[key] as? Double else { XCTFail("phase \(key) missing: \(phases)", file: file, line: line); continue }
            XCTAssertGreaterThanOrEqual(value, 0, key, file: file, line: line)
        }
        let total = phases["total_seconds"] as? Double ?? 0
        let parts = ["fetch_verify_seconds", "restore_seconds", "checks_seconds"].compactMap { phases[$0] as? Double }.reduce(0, +)
        XCTAssertGreaterThan(total, 0, file: file, line: line)
        XCTAssertLessThanOrEqual(parts, total + 0.01, "the phases fit in the total: \(phases)", file: file, line: line)
    }
}
