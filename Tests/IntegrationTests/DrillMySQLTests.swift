import Foundation
import XCTest

/// `respaldo drill` against a real MariaDB (Debian's packages), through the binary: the backup
/// records InnoDB row counts under a brief global read lock while rows are being written, the
/// drill restores into a scratch database, compares them and runs configured checks, and
/// drops the database whatever the outcome.
final class DrillMySQLTests: XCTestCase {
    private static let mariadb = SharedMariaDB()

    override class func tearDown() {
        mariadb.stop()
        super.tearDown()
    }

    private func makeShop(_ my: MariaDBServer, _ ws: Workspace, _ name: String) throws -> String {
        try my.sql("CREATE DATABASE \(name)")
        let schema = ws.path("schema.sql")
        try Files.write(schema, DrillFixture.mysqlSchema)
        try my.load(schema, database: name)
        let passwordFile = ws.path("my.pass")
        try Files.write(passwordFile, my.password + "\n", mode: 0o600)
        return passwordFile
    }

    private func job(_ my: MariaDBServer, database: String, passwordFile: String, checks: [String]) -> String {
        """
        [[jobs]]
        name = "shop"
        source = "mysql"
        database = \(toml(database))
        host = \(toml(my.host))
        port = \(my.port)
        user = \(toml(my.user))
        password_file = \(toml(passwordFile))
        [jobs.drill]
        checks = \(toml(checks))

        """
    }

    private func assertNothingLeft(_ my: MariaDBServer, _ ws: Workspace, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try DrillFixture.scratchDatabases(my), [], "a scratch database was left behind", file: file, line: line)
        DrillFixture.assertNoWorkFolders(ws, file: file, line: line)
    }

    func testMySQLDrillPassesWithCountsTakenUnderConcurrentWrites() throws {
        let my = try Self.mariadb.get()
        let ws = try Workspace.make(for: self, "drill-my")
        let passwordFile = try makeShop(my, ws, "shop_pass")
        try ws.writeConfig(job(my, database: "shop_pass", passwordFile: passwordFile,
                               checks: ["SELECT COUNT(*) = 5000 FROM customers", "SELECT COUNT(*) = 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'orders_customer_idx'"]))
        // A writer committing a row every few milliseconds all through the backup.
        let writes = ws.path("writes.sql")
        try Files.write(writes, (1...600).map { "INSERT INTO orders (customer_id, amount) VALUES (\(1 + $0 % 5000), \($0)); DO SLEEP(0.005);" }.joined(separator: "\n"))
        let writer = try Subprocess(["mariadb", "--no-defaults", "--socket=\(my.socket)", "-u", "root", "--database=shop_pass"], stdinPath: writes, timeout: 120)
        usleep(300_000)
        let id = try ws.backup("shop")
        try requireExit(writer.wait(), 0, "the concurrent writer")
        let recorded = try DrillFixture.recordedCounts(ws, "shop", id)
        XCTAssertEqual(recorded["shop_pass.customers"], 5000)
        XCTAssertEqual(recorded["shop_pass.order_lines"], 20000)
        let orders = recorded["shop_pass.orders"] ?? 0
        XCTAssertGreaterThan(orders, 20000, "rows committed before the dump are counted")
        XCTAssertLessThan(orders, Int(try my.sql("SELECT COUNT(*) FROM orders", database: "shop_pass")) ?? 0, "rows committed after it are not")

        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--report", reportPath)
        assertExit(r, 0, "the MariaDB drill passes: the dump holds exactly the counted rows")
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "rows"), ["shop_pass.customers": true, "shop_pass.orders": true, "shop_pass.order_lines": true])
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "sql").values.filter { $0 }.count, 2, "\(report)")
        XCTAssertTrue((report["target"] as? String ?? "").hasPrefix("MySQL database respaldo_drill_shop_"), "\(report)")
        DrillFixture.assertPhases(report)
        try assertNothingLeft(my, ws)
    }

    func testMySQLFailingCheckIsNamedAndCleanedUp() throws {
        let my = try Self.mariadb.get()
        let ws = try Workspace.make(for: self, "drill-mycheck")
        let passwordFile = try makeShop(my, ws, "shop_fail")
        let failing = "SELECT COUNT(*) > 100000 FROM orders"
        try ws.writeConfig(job(my, database: "shop_fail", passwordFile: passwordFile, checks: [failing]))
        _ = try ws.backup("shop")
        let reportPath = ws.path("report.json")
        let r = try ws.respaldo("drill", "shop", "--report", reportPath)
        assertExit(r, 1, "a failing check fails the drill")
        XCTAssertTrue(r.stdoutText.contains("FAIL sql \(failing)"), r.summary)
        let report = try DrillFixture.report(reportPath)
        XCTAssertEqual(DrillFixture.outcomes(report, kind: "sql"), [failing: false])
        XCTAssertTrue(DrillFixture.outcomes(report, kind: "rows").values.allSatisfy { $0 })
        try assertNothingLeft(my, ws)
    }
}
