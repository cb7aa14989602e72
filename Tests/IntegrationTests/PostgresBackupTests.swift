import Foundation
import XCTest

/// Scenario 1: a real PostgreSQL database is dumped by respaldo (source = "postgres", the
/// password from a password_file), encrypted to an age-keygen key, verified, and restored with
/// stock tools (`age -d | gunzip | psql`) into a second database whose contents match.
final class PostgresBackupTests: XCTestCase {
    private static let postgres = SharedPostgres()

    override class func tearDown() {
        postgres.stop()
        super.tearDown()
    }

    private static let schema = """
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
        SELECT 1 + (g % 5000), (g * 7 % 100000) / 100.0,
               CASE WHEN g % 3 = 0 THEN NULL ELSE E'note\\twith a tab and a backslash \\\\ ' || g END
        FROM generate_series(1, 20000) g;
    INSERT INTO order_lines
        SELECT o, l, 'SKU-' || (o * l % 997), l FROM generate_series(1, 10000) o, generate_series(1, 2) l;
    """

    private static let tables = ["customers", "orders", "order_lines"]

    /// Row count and a digest of every row, per table.
    private func fingerprint(_ pg: PostgresServer, _ database: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for t in Self.tables {
            out[t] = try pg.psql("SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \(t) x", database: database)
        }
        return out
    }

    private func postgresJob(_ name: String, _ pg: PostgresServer, database: String, user: String, passwordFile: String) -> String {
        """
        [[jobs]]
        name = \(toml(name))
        source = "postgres"
        database = \(toml(database))
        host = \(toml(pg.host))
        port = \(pg.port)
        user = \(toml(user))
        password_file = \(toml(passwordFile))

        """
    }

    func testPostgresBackupRestoresWithStockTools() throws {
        try Tools.require("age", package: "age")
        try Tools.require("gunzip", package: "gzip")
        let pg = try Self.postgres.get()
        try pg.psql("CREATE DATABASE shop")
        try pg.psql(Self.schema, database: "shop")
        let sourceFingerprint = try fingerprint(pg, "shop")
        XCTAssertEqual(sourceFingerprint["orders"]?.split(separator: " ").first, "20000")

        let ws = try Workspace.make(for: self, "pg")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let passwordFile = ws.path("pg.pass")
        try Files.write(passwordFile, pg.password + "\n", mode: 0o600)
        try ws.writeConfig(recipients: [key.recipient], postgresJob("shop", pg, database: "shop", user: pg.user, passwordFile: passwordFile))

        assertExit(try ws.respaldo("check-config"), 0, "check-config")
        let backup = try ws.respaldo("backup", "shop")
        try requireExit(backup, 0, "backup of a PostgreSQL database")
        XCTAssertFalse(backup.output.contains(pg.password), "the password must never be printed")
        guard let id = backup.stdoutLines.first, backup.stdoutLines.count == 1 else {
            return XCTFail("backup should print one snapshot id\n\(backup.summary)")
        }
        try assertSnapshot(ws, ExpectedSnapshot(job: "shop", id: id, kind: "postgres", argv: nil, plainPath: nil, recipients: [key.recipient], level: 6))
        let manifestText = String(decoding: try Files.read(ws.manifestPath("shop", id)), as: UTF8.self)
        XCTAssertFalse(manifestText.contains(pg.password), "the manifest must not hold the password")
        let argv = (try ws.manifest("shop", id)["source"] as? [String: Any])?["argv"] as? [String] ?? []
        XCTAssertTrue(argv.first?.hasSuffix("pg_dump") == true, "source.argv is the pg_dump command line: \(argv)")

        assertExit(try ws.respaldo("verify", id), 0, "verify (stored bytes)")
        assertExit(try ws.respaldo("verify", "--identity", key.identityPath), 0, "verify --identity (decrypt, gunzip, plain SHA-256)")

        // Restore with stock tools only, into a second database.
        try pg.psql("CREATE DATABASE shop_restored")
        let artifact = try ws.artifactPath("shop", id)
        let stockSQL = ws.path("stock.sql")
        let load = try Subprocess.bash(
            "age -d -i \(shellQuote(key.identityPath)) \(shellQuote(artifact)) | gunzip | tee \(shellQuote(stockSQL)) | \(pg.psqlLoadCommand(database: "shop_restored")) > /dev/null",
            environment: ["PGPASSWORD": nil, "PGPASSFILE": nil], timeout: 300)
        try requireExit(load, 0, "age -d | gunzip | psql")
        let sqlText = String(decoding: try Files.read(stockSQL), as: UTF8.self)
        XCTAssertTrue(sqlText.contains("PostgreSQL database dump complete"), "the dump is complete (pg_dump's trailer)")
        XCTAssertFalse(sqlText.contains(pg.password))

        XCTAssertEqual(try fingerprint(pg, "shop_restored"), sourceFingerprint, "row counts and contents per table")
        XCTAssertEqual(try pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer_idx'", database: "shop_restored"), "1", "the index is restored")
        XCTAssertEqual(try pg.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'", database: "shop_restored"), "2", "the foreign keys are restored")

        // respaldo restore writes exactly the bytes of the stock pipeline.
        let restored = ws.path("restored.sql")
        assertExit(try ws.respaldo("restore", id, "--identity", key.identityPath, "--output", restored), 0, "restore --output")
        try assertSameBytes(restored, stockSQL, "respaldo restore vs age -d | gunzip")
        let plainSHA = (try ws.manifest("shop", id)["plain"] as? [String: Any])?["sha256"] as? String
        XCTAssertEqual(try Files.sha256(stockSQL), plainSHA, "manifest plain.sha256 is the SQL's")
    }

    /// A wrong password fails the run (pg_dump exits non-zero), leaves nothing, and is not
    /// echoed anywhere.
    func testWrongPasswordFails() throws {
        let pg = try Self.postgres.get()
        try pg.psql("CREATE DATABASE wrongpw")
        try pg.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (1);", database: "wrongpw")
        let ws = try Workspace.make(for: self, "pgbad")
        let passwordFile = ws.path("pg.pass")
        let wrong = "not-the-password-\(UInt32.random(in: 0 ... .max))"
        try Files.write(passwordFile, wrong + "\n", mode: 0o600)
        try ws.writeConfig(postgresJob("wrongpw", pg, database: "wrongpw", user: pg.user, passwordFile: passwordFile))
        let r = try ws.respaldo("backup", "wrongpw")
        assertExit(r, 1, "pg_dump fails authentication")
        XCTAssertFalse(r.output.contains(wrong), "the password must not be logged\n\(r.summary)")
        XCTAssertEqual(Files.list(ws.jobDir("wrongpw")), [], "nothing is left")
        XCTAssertEqual(ws.partialFiles(), [])
    }

    /// A password with characters special to libpq's password file format (`:` and `\`) and
    /// to shells still authenticates.
    func testPasswordWithSpecialCharacters() throws {
        let pg = try Self.postgres.get()
        let password = #"it:pa\ss'w rd"#
        try pg.psql("CREATE ROLE odd LOGIN PASSWORD 'it:pa\\ss''w rd'")
        XCTAssertEqual(try pg.psql("SHOW standard_conforming_strings"), "on")
        try pg.psql("GRANT pg_read_all_data TO odd")
        try pg.psql("CREATE DATABASE odddb")
        try pg.psql("CREATE TABLE t (x int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000);", database: "odddb")
        let ws = try Workspace.make(for: self, "pgodd")
        let passwordFile = ws.path("pg.pass")
        try Files.write(passwordFile, password + "\n", mode: 0o600)
        try ws.writeConfig(postgresJob("odd", pg, database: "odddb", user: "odd", passwordFile: passwordFile))
        let r = try ws.respaldo("backup", "odd")
        assertExit(r, 0, "a password containing : \\ ' and a space")
        if let id = r.stdoutLines.first {
            let restored = ws.path("odd.sql")
            assertExit(try ws.respaldo("restore", id, "--output", restored), 0)
            XCTAssertTrue(String(decoding: try Files.read(restored), as: UTF8.self).contains("COPY public.t (x) FROM stdin;"), "the dump holds the table")
        }
    }
}
