import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `respaldo drill` against a real PostgreSQL, through the binary: scratch-database restores
/// from the local folder and from a real sshd, row counts recorded at dump time, configured
/// checks, a corrupted remote copy, tampered counts, and SIGTERM mid-restore. After each,
/// no respaldo_drill_% database and no work folder remains.
final class DrillPostgresTests: XCTestCase {
    private static let postgres = SharedPostgres()

    override class func tearDown() {
        postgres.stop()
        super.tearDown()
    }

    /// A shop database of its own for one test, and a password file for respaldo.
    private func makeShop(_ pg: PostgresServer, _ ws: Workspace, _ name: String) throws -> String {
        try pg.psql("CREATE DATABASE \(name)")
        try pg.psql(DrillFixture.postgresSchema, database: name)
        let passwordFile = ws.path("pg.pass")
        try Files.write(passwordFile, pg.password + "\n", mode: 0o600)
        return passwordFile
    }

    private func assertNothingLeft(_ pg: PostgresServer, _ ws: Workspace, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [], "a scratch database was left behind", file: file, line: line)
        DrillFixture.assertNoWorkFolders(ws, file: file, line: line)
    }

    /// The backup records every table's row count; the drill restores the encrypted snapshot
    /// into a scratch database, compares the counts and runs the configured check, reports
    /// phase timings, and drops the database.
    func testDrillFromLocalPassesWithRowCountsAndConfiguredCheck() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-pg")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let passwordFile = try makeShop(pg, ws, "shop_local")
        try ws.writeConfig(recipients: [key.recipient], DrillFixture.postgresJob("shop", pg, database: "shop_local", passwordFile: passwordFile, extra: """
            [jobs.drill]
            checks = ["SELECT count(*) = 5000 FROM customers", "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'orders_customer_idx')"]
            """))
        let id = try ws.backup("shop")
        XCTAssertEqual(try DrillFixture.recordedCounts(ws, "shop", id),
                       ["public.customers": 5000, "public.orders": 20000, "public.order_lines": 20000], "row counts recorded at dump time")

        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--identity", key.identityPath, "--report", reportPath)
        assertExit(r, 0, "the drill passes")
        XCTAssertTrue(r.stdoutText.contains("PASSED"), r.summary)
        XCTAssertTrue(r.stdoutText.contains("total"), "the summary shows the timings\n\(r.summary)")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(report["ok"] as? Bool, true)
        XCTAssertEqual(report["snapshot"] as? String, id)
        XCTAssertEqual(report["job"] as? String, "shop")
        XCTAssertEqual(report["location"] as? String, "local")
        XCTAssertEqual(report["scratch_removed"] as? Bool, true)
        XCTAssertTrue((report["target"] as? String ?? "").contains("respaldo_drill_shop_"), "\(report)")
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "rows"), ["public.customers": true, "public.orders": true, "public.order_lines": true])
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "sql").count, 2)
        XCTAssertTrue(DrillFixture.outcomes(report, kind: "sql").values.allSatisfy { $0 }, "\(report)")
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "restore").values.first, true)
        XCTAssertGreaterThanOrEqual(report["recovery_point_age_seconds"] as? Double ?? -1, 0)
        XCTAssertEqual(report["plain_bytes"] as? Int, (try ws.manifest("shop", id)["plain"] as? [String: Any])?["bytes"] as? Int)
        DrillFixture.assertPhases(report)
        XCTAssertEqual(try Files.mode(reportPath), 0o600)
        try assertNothingLeft(pg, ws)
    }

    /// The DR case: the local folder is gone; the drill takes the newest copy from the SFTP
    /// remote (a real sshd), and leaves neither the spooled artifact nor a database.
    func testDrillFromSFTPRemotePasses() throws {
        let pg = try Self.postgres.get()
        let setup = try RemoteSetup.make(for: self, "drill-remote")
        let ws = setup.ws
        let passwordFile = try makeShop(pg, ws, "shop_remote")
        try ws.writeRawConfig(ws.header(recipients: [setup.key.recipient]) + "\n" + setup.remote("geo")
            + DrillFixture.postgresJob("shop", pg, database: "shop_remote", passwordFile: passwordFile, extra: "remotes = [\"geo\"]"))
        _ = try ws.backup("shop")
        let newest = try ws.backup("shop")
        try FileManager.default.removeItem(atPath: ws.jobDir("shop"))

        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--remote", "geo", "--identity", setup.key.identityPath, "--report", reportPath)
        assertExit(r, 0, "drill --remote geo")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(report["snapshot"] as? String, newest, "the newest snapshot is drilled")
        XCTAssertEqual(report["location"] as? String, "geo")
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "rows").count, 3)
        XCTAssertTrue(DrillFixture.checks(report).allSatisfy { $0["ok"] as? Bool == true }, "\(report)")
        DrillFixture.assertPhases(report)
        try assertNothingLeft(pg, ws)
    }

    /// A configured check that returns false fails the drill (exit 1) and is named in the
    /// report and on stdout; the others still pass, and the database is dropped.
    func testFailingCheckIsNamedAndFailsTheDrill() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-check")
        let passwordFile = try makeShop(pg, ws, "shop_check")
        let failing = "SELECT count(*) > 1000000 FROM orders"
        try ws.writeConfig(DrillFixture.postgresJob("shop", pg, database: "shop_check", passwordFile: passwordFile, extra: """
            [jobs.drill]
            checks = ["SELECT count(*) > 0 FROM orders", \(toml(failing)), "SELECT no_such_column FROM orders"]
            """))
        _ = try ws.backup("shop")
        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "--report", reportPath)
        assertExit(r, 1, "a failing check fails the drill")
        XCTAssertTrue(r.stdoutText.contains("FAIL sql \(failing)"), r.summary)
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(report["ok"] as? Bool, false)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "sql"),
                       ["SELECT count(*) > 0 FROM orders": true, failing: false, "SELECT no_such_column FROM orders": false])
        let detail = DrillFixture.checks(report).first { $0["name"] as? String == failing }?["detail"] as? String ?? ""
        XCTAssertTrue(detail.contains("\"f\""), "the detail says what the query returned: \(detail)")
        let broken = DrillFixture.checks(report).first { $0["name"] as? String == "SELECT no_such_column FROM orders" }?["detail"] as? String ?? ""
        XCTAssertTrue(broken.contains("no_such_column"), "the detail carries the server's error: \(broken)")
        XCTAssertTrue(DrillFixture.outcomes(report, kind: "rows").values.allSatisfy { $0 })
        XCTAssertEqual(report["scratch_removed"] as? Bool, true)
        try assertNothingLeft(pg, ws)
    }

    /// One flipped byte in the remote artifact: the drill fails in fetch+verify, naming the
    /// checksum, before any scratch database exists (no restore step in the report).
    func testCorruptedRemoteArtifactFailsBeforeRestore() throws {
        let pg = try Self.postgres.get()
        let setup = try RemoteSetup.make(for: self, "drill-corrupt")
        let ws = setup.ws
        let passwordFile = try makeShop(pg, ws, "shop_corrupt")
        try ws.writeRawConfig(ws.header(recipients: [setup.key.recipient]) + "\n" + setup.remote("geo")
            + DrillFixture.postgresJob("shop", pg, database: "shop_corrupt", passwordFile: passwordFile, extra: "remotes = [\"geo\"]"))
        let id = try ws.backup("shop")
        let remoteDir = setup.sshd.remoteRoot + "/geo/shop"
        let artifact = try XCTUnwrap(Files.list(remoteDir).first { $0.hasSuffix(".gz.age") })
        try Files.flipByte(remoteDir + "/" + artifact, at: try Files.size(remoteDir + "/" + artifact) / 2)

        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--remote", "geo", "--identity", setup.key.identityPath, "--report", reportPath)
        assertExit(r, 1, "a corrupted remote artifact fails the drill")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(report["snapshot"] as? String, id)
        XCTAssertEqual(report["ok"] as? Bool, false)
        let error = report["error"] as? String ?? ""
        XCTAssertTrue(error.contains("fetch+verify") && error.contains("SHA-256"), "the error names the phase and the checksum: \(error)")
        XCTAssertEqual(DrillFixture.checks(report).count, 0, "nothing was restored, so nothing was checked: \(report)")
        XCTAssertEqual((report["phases"] as? [String: Any])?["restore_seconds"] as? Double, 0)
        try assertNothingLeft(pg, ws)
        // The local copy is intact and still drills.
        assertExit(try ws.respaldo("drill", "shop", "--identity", setup.key.identityPath), 0, "the local copy drills")
        try assertNothingLeft(pg, ws)
    }

    /// The counts in the manifest no longer match what the dump restores (the manifest is not
    /// covered by the artifact's checksum): each differing table is a named failure, and a
    /// table that is not restored at all too. A manifest without counts (older snapshots)
    /// still drills, saying the automatic checks are unavailable.
    func testRowCountMismatchIsNamed() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-counts")
        let passwordFile = try makeShop(pg, ws, "shop_counts")
        try ws.writeConfig(DrillFixture.postgresJob("shop", pg, database: "shop_counts", passwordFile: passwordFile))
        let id = try ws.backup("shop")
        var manifest = try ws.manifest("shop", id)
        var tables = try XCTUnwrap(manifest["tables"] as? [[String: Any]])
        for index in tables.indices where tables[index]["name"] as? String == "orders" { tables[index]["rows"] = 20001 }
        tables.append(["schema": "public", "name": "invoices", "rows": 12])
        manifest["tables"] = tables
        try Files.write(ws.manifestPath("shop", id), try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]))

        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--report", reportPath)
        assertExit(r, 1, "differing row counts fail the drill")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "rows"),
                       ["public.customers": true, "public.orders": false, "public.order_lines": true, "public.invoices": false])
        let orders = DrillFixture.checks(report).first { $0["name"] as? String == "public.orders" }?["detail"] as? String ?? ""
        XCTAssertTrue(orders.contains("20000") && orders.contains("20001"), "the detail gives both counts: \(orders)")
        XCTAssertTrue(r.stdoutText.contains("FAIL rows public.invoices"), r.summary)
        try assertNothingLeft(pg, ws)

        manifest.removeValue(forKey: "tables")
        try Files.write(ws.manifestPath("shop", id), try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]))
        let older = try ws.respaldo("drill", "shop", "--report", reportPath)
        assertExit(older, 0, "a manifest without counts drills on the configured checks alone")
        let olderReport = try DrillFixture.report(reportPath)
        XCTAssertTrue((olderReport["automatic_checks"] as? String ?? "").hasPrefix("unavailable"), "\(olderReport)")
        XCTAssertEqual(DrillFixture.outcomes(olderReport, kind: "rows"), [:])
        try assertNothingLeft(pg, ws)
    }

    /// A restore_command replaces psql (it finds the scratch database in libpq's variables);
    /// this one loses rows after loading, and the drill names the table that no longer has
    /// the count recorded at dump time.
    func testRestoreCommandThatLosesRowsIsNamed() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-lossy")
        let passwordFile = try makeShop(pg, ws, "shop_lossy")
        let lossy = ["sh", "-c", "psql -X -q -v ON_ERROR_STOP=1 --single-transaction > /dev/null && psql -X -q -c 'DELETE FROM order_lines WHERE order_id <= 10' > /dev/null"]
        try ws.writeConfig(DrillFixture.postgresJob("shop", pg, database: "shop_lossy", passwordFile: passwordFile, extra: """
            [jobs.drill]
            restore_command = \(toml(lossy))
            """))
        _ = try ws.backup("shop")
        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--report", reportPath)
        assertExit(r, 1, "rows lost in the restore fail the drill")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "restore").values.first, true, "the restore command itself succeeded")
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "rows"), ["public.customers": true, "public.orders": true, "public.order_lines": false])
        XCTAssertTrue(r.stdoutText.contains("FAIL rows public.order_lines: 19980 rows restored, 20000 at dump time"), r.summary)
        try assertNothingLeft(pg, ws)
    }

    /// Rows are written all through the backup; the recorded counts are those of the dump's
    /// own snapshot (pg_dump --snapshot), so the drill's comparison still matches exactly.
    func testCountsComeFromTheDumpsSnapshotUnderConcurrentWrites() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-writes")
        let passwordFile = try makeShop(pg, ws, "shop_writes")
        try ws.writeConfig(DrillFixture.postgresJob("shop", pg, database: "shop_writes", passwordFile: passwordFile))
        let writer = try Subprocess([
            pg.binDir + "/psql", "-X", "-q", "-h", pg.socketDir, "-p", "\(pg.port)", "-U", pg.user, "-d", "shop_writes", "-c", """
            DO $$ BEGIN FOR i IN 1..600 LOOP
                INSERT INTO orders (customer_id, amount) VALUES (1 + i % 5000, i);
                COMMIT;
                PERFORM pg_sleep(0.005);
            END LOOP; END $$;
            """,
        ], environment: ["PGPASSWORD": nil, "PGPASSFILE": nil], timeout: 120)
        usleep(300_000)
        let id = try ws.backup("shop")
        let written = writer.wait()
        try requireExit(written, 0, "the concurrent writer")
        let recorded = try DrillFixture.recordedCounts(ws, "shop", id)["public.orders"] ?? 0
        let final = Int(try pg.psql("SELECT count(*) FROM orders", database: "shop_writes")) ?? 0
        XCTAssertGreaterThan(recorded, 20000, "rows written before the dump are counted")
        XCTAssertLessThan(recorded, final, "rows written after the dump's snapshot are not")

        let reportPath = ws.path("report.json")
        assertExit(try ws.respaldo("drill", "shop", "--report", reportPath), 0, "the drill matches the recorded counts")
        XCTAssertEqual(DrillFixture.outcomes(try DrillFixture.report(reportPath), kind: "rows")["public.orders"], true)
        try assertNothingLeft(pg, ws)
    }

    /// SIGTERM while the dump is being loaded: the drill exits non-zero, its report says it
    /// was interrupted, and the scratch database is dropped. The table's CHECK calls a
    /// function that sleeps in a drill's database only, so the load lasts ~10 s with a small
    /// dump while filling the original is quick.
    func testInterruptedDrillDropsTheScratchDatabase() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-term")
        try pg.psql("CREATE DATABASE paced")
        try pg.psql("""
            CREATE FUNCTION public.slow_ok(v integer) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
                AS $$ BEGIN
                    IF pg_catalog.current_database() LIKE 'respaldo\\_drill\\_%' THEN PERFORM pg_catalog.pg_sleep(0.002); END IF;
                    RETURN v IS NOT NULL;
                END $$;
            CREATE TABLE public.paced (id integer PRIMARY KEY, CONSTRAINT paced_slow CHECK (public.slow_ok(id)));
            INSERT INTO public.paced SELECT generate_series(1, 5000);
            """, database: "paced")
        let passwordFile = ws.path("pg.pass")
        try Files.write(passwordFile, pg.password + "\n", mode: 0o600)
        try ws.writeConfig(DrillFixture.postgresJob("paced", pg, database: "paced", passwordFile: passwordFile))
        _ = try ws.backup("paced")

        let reportPath = ws.path("report.json")
        let drill = try ws.startRespaldo("drill", "paced", "--report", reportPath, timeout: 120)
        let deadline = Date().addingTimeInterval(60)
        while try DrillFixture.scratchDatabases(pg).isEmpty, Date() < deadline, processIsAlive(drill.pid) { usleep(50_000) }
        XCTAssertFalse(try DrillFixture.scratchDatabases(pg).isEmpty, "the scratch database should exist while the dump loads")
        usleep(500_000)
        let signalled = Date()
        kill(drill.pid, SIGTERM)
        let r = drill.wait()
        XCTAssertNotEqual(r.exitCode, 0, "an interrupted drill fails\n\(r.summary)")
        XCTAssertFalse(r.timedOut)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 10, "the drill stops promptly (the load takes ~10 s)")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(report["ok"] as? Bool, false)
        XCTAssertTrue((report["error"] as? String ?? "").contains("interrupted by SIGTERM"), "\(report)")
        XCTAssertEqual(report["scratch_removed"] as? Bool, true)
        try assertNothingLeft(pg, ws)
    }
}
