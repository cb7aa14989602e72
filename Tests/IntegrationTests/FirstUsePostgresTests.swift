import Foundation
import XCTest

/// A first deployment against a real PostgreSQL, as the operator met it: a backup role
/// with `pg_read_all_data` and nothing else, objects owned by `postgres`. `check-config
/// --connect` probes the database as the dump would; the drill checks, before fetching
/// anything, that it may create the scratch database and take the dump's owners, and says
/// what to change; once it passes, its progress line follows psql's phases.
final class FirstUsePostgresTests: XCTestCase {
    private static let postgres = SharedPostgres()

    override class func tearDown() {
        postgres.stop()
        super.tearDown()
    }

    /// A shop database owned by postgres, a role `<database>_backup` that may read all data
    /// (and log in with a password), and its password file.
    private func makeShop(_ pg: PostgresServer, _ ws: Workspace, _ database: String) throws -> (role: String, passwordFile: String) {
        let role = database + "_backup"
        let password = "pw-" + UUID().uuidString.prefix(8)
        try pg.psql("CREATE DATABASE \(database)")
        try pg.psql(DrillFixture.postgresSchema, database: database)
        try pg.psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'; GRANT pg_read_all_data TO \(role)")
        let passwordFile = ws.path("\(role).pass")
        try Files.write(passwordFile, password + "\n", mode: 0o600)
        return (role, passwordFile)
    }

    private func job(_ pg: PostgresServer, database: String, role: String, passwordFile: String, extra: String = "") -> String {
        """
        [[jobs]]
        name = "crm"
        source = "postgres"
        database = \(toml(database))
        host = \(toml(pg.host))
        port = \(pg.port)
        user = \(toml(role))
        password_file = \(toml(passwordFile))
        \(extra)

        """
    }

    func testCheckConfigConnectProbesTheDatabaseAsTheDumpWould() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "cc-pg")
        let (role, passwordFile) = try makeShop(pg, ws, "crm_probe")
        try ws.writeConfig(job(pg, database: "crm_probe", role: role, passwordFile: passwordFile))
        let ok = try ws.respaldo("check-config", "--connect")
        assertExit(ok, 0, "the backup role can dump crm_probe")
        XCTAssertTrue(ok.stdoutText.contains("job crm: database crm_probe on \(pg.host):\(pg.port) as \(role): ok"), ok.summary)

        try Files.write(passwordFile, "wrong\n", mode: 0o600)
        let badPassword = try ws.respaldo("check-config", "--connect")
        assertExit(badPassword, 1, "a wrong password")
        XCTAssertTrue(badPassword.output.contains("job crm: database crm_probe on \(pg.host):\(pg.port) as \(role): FAILED")
                        && badPassword.output.contains("password authentication failed"), badPassword.summary)

        try pg.psql("CREATE ROLE crm_nobody LOGIN PASSWORD 'nobody'")
        try Files.write(passwordFile, "nobody\n", mode: 0o600)
        try ws.writeConfig(job(pg, database: "crm_probe", role: "crm_nobody", passwordFile: passwordFile))
        let noPrivilege = try ws.respaldo("check-config", "--connect")
        assertExit(noPrivilege, 1, "a role that may not read the tables")
        XCTAssertTrue(noPrivilege.output.contains("permission denied") && noPrivilege.output.contains("pg_read_all_data"), "names the problem and the grant\n\(noPrivilege.summary)")
    }

    func testTheDrillChecksItsPrivilegesBeforeFetchingAndSaysWhatToChange() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-first")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let (role, passwordFile) = try makeShop(pg, ws, "crm_first")
        try ws.writeConfig(recipients: [key.recipient], job(pg, database: "crm_first", role: role, passwordFile: passwordFile))
        _ = try ws.backup("crm")

        // 1. The role may not create databases: said before a byte is fetched, with the fix.
        let noCreate = try ws.respaldo("drill", "crm", "--identity", key.identityPath)
        assertExit(noCreate, 1, "a role without CREATEDB")
        XCTAssertTrue(noCreate.output.contains("permission denied to create database"), noCreate.summary)
        XCTAssertTrue(noCreate.output.contains("ALTER ROLE \(role) CREATEDB"), "the fix is named\n\(noCreate.summary)")
        XCTAssertFalse(noCreate.stderrText.contains("fetched"), "nothing was fetched\n\(noCreate.summary)")
        XCTAssertEqual(noCreate.output.components(separatedBy: "permission denied to create database").count, 2, "the error is printed once\n\(noCreate.summary)")
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])

        // 2. It may create them, but the dump sets owners (postgres) it cannot take.
        try pg.psql("ALTER ROLE \(role) CREATEDB")
        let owners = try ws.respaldo("drill", "crm", "--identity", key.identityPath)
        assertExit(owners, 1, "a dump whose objects belong to postgres")
        XCTAssertTrue(owners.output.contains("postgres") && owners.output.contains("dump_args = [\"--no-owner\"]")
                        && owners.output.contains("[jobs.drill] user"), "both ways out are named\n\(owners.summary)")
        XCTAssertFalse(owners.stderrText.contains("fetched"), "nothing was fetched\n\(owners.summary)")
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])

        // 3. With --no-owner the next snapshot restores; the progress line follows psql.
        try ws.writeConfig(recipients: [key.recipient], job(pg, database: "crm_first", role: role, passwordFile: passwordFile, extra: "dump_args = [\"--no-owner\"]"))
        _ = try ws.backup("crm")
        let passed = try PseudoTerminal.run(Respaldo.argv("drill", config: ws.configPath, ["crm", "--identity", key.identityPath]),
                                            environment: Respaldo.environment(home: ws.root))
        XCTAssertEqual(passed.exitCode, 0, passed.summary)
        XCTAssertTrue(passed.screen.contains { $0.contains("PASSED") }, passed.summary)
        XCTAssertTrue(passed.drawn.contains { $0.contains("fetch from local") }, "fetch progress\n\(passed.summary)")
        XCTAssertTrue(passed.drawn.contains { $0.contains("psql: loading rows of public.") }, "the rows phase\n\(passed.summary)")
        XCTAssertTrue(passed.drawn.contains { $0.contains("psql: building indexes / constraints") }, "the index phase\n\(passed.summary)")
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])
    }
}
