import Foundation
import XCTest

/// A dump that tries to run commands on the DR host through the loader's own client commands
/// (psql's `\!`, the mariadb client's `\!` and `system`) must run nothing when drilled: the
/// drill exits 1 and says the dump tried to run a client command.
///
/// The snapshots are genuine: respaldo's own `backup` takes them, with a dump tool earlier in
/// PATH (for the backup run only) that prints the real tool's dump, then the hostile lines of
/// `<workspace>/hostile.sql`. Rewriting that file between backups gives one snapshot per attack.
enum HostileDump {
    /// Installs `<workspace>/fakebin/<tool>` and returns the PATH that finds it first. With
    /// `dropping`, the real dump's lines holding that text are left out, as a forger would.
    static func install(tool: String, in ws: Workspace, dropping: String? = nil) throws -> String {
        guard let real = Tools.which(tool) else { throw TestFailure("\(tool) is not installed") }
        let bin = ws.path("fakebin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let filter = dropping.map { " | grep -v -F -e \(shellQuote($0))" } ?? ""
        try Files.write(bin + "/" + tool, """
            #!/bin/bash
            set -o pipefail
            \(shellQuote(real)) "$@"\(filter) || exit $?
            exec cat \(shellQuote(ws.path("hostile.sql")))

            """, mode: 0o755)
        return bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    }

    /// Backs up `job` with `lines` after the real dump; returns the snapshot id.
    static func backup(_ ws: Workspace, job: String, path: String, lines: [String]) throws -> String {
        try Files.write(ws.path("hostile.sql"), lines.joined(separator: "\n") + "\n")
        var environment = Respaldo.environment(home: ws.root)
        environment["PATH"] = path
        let r = try Subprocess.run(try Respaldo.argv("backup", config: ws.configPath, [job]), environment: environment, timeout: 180)
        try requireExit(r, 0, "backup of \(job) with a hostile dump tool")
        guard let id = r.stdoutLines.last else { throw TestFailure("the backup printed no snapshot id\n\(r.summary)") }
        return id
    }

    /// The one place these tests build their configs: sections (such as `[signing]` or
    /// `[trust]`) go between the header and the jobs.
    /// The config of a backup server that signs its snapshots and a drill host that trusts only
    /// that key: the hostile dumps below are *correctly signed*, so it is the loader's sandbox,
    /// not the signature check, that must stop them.
    static func writeConfig(_ ws: Workspace, sections: [String] = [], jobs: [String]) throws {
        let key = ws.path("signing.key"), signers = ws.path("allowed_signers")
        if !Files.exists(key) {
            let r = try ws.respaldo("keygen", "--signing", "--output", key)
            try requireExit(r, 0, "keygen --signing")
            try Files.write(signers, "backup@test \(r.stdoutText)", mode: 0o644)
        }
        let trust = """
            [signing]
            key_file = \(toml(key))

            [trust]
            signers_file = \(toml(signers))
            max_age = "1h"

            """
        try ws.writeRawConfig(ws.header() + "\n" + trust + sections.map { $0 + "\n" }.joined() + "\n" + jobs.joined(separator: "\n"))
    }

    /// The line of the restored dump on which `needle` starts (1-based), from `respaldo restore`.
    static func line(of needle: String, in ws: Workspace, snapshot id: String) throws -> Int {
        let r = try ws.respaldo("restore", id, "--stdout")
        try requireExit(r, 0, "restore of \(id)")
        let lines = r.stdoutText.components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix(needle) }) else {
            throw TestFailure("\(needle) is not in the dump of \(id)")
        }
        return index + 1
    }

    /// A client earlier in PATH that is the real one, except that `--version` or `--help` (the
    /// drill's checks) answer as an older client without restricted or sandbox mode would.
    static func installOldClient(_ tool: String, in ws: Workspace, answering option: String, with script: String) throws -> String {
        guard let real = Tools.which(tool) else { throw TestFailure("\(tool) is not installed") }
        let bin = ws.path("oldclient")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try Files.write(bin + "/" + tool, """
            #!/bin/bash
            for argument in "$@"; do
                if [ "$argument" = \(shellQuote(option)) ]; then REAL=\(shellQuote(real)); \(script); exit 0; fi
            done
            exec \(shellQuote(real)) "$@"

            """, mode: 0o755)
        return bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
    }

    /// The drill of `id` failed (exit 1), ran nothing, and left nothing behind; its error
    /// holds every one of `expect`. Returns the error.
    @discardableResult
    static func assertRefused(_ ws: Workspace, job: String, snapshot id: String, pwned: String, path: String? = nil,
                              expect: [String] = ["must not run client commands"], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let reportPath = ws.path("report-\(id).json")
        var environment = Respaldo.environment(home: ws.root)
        if let path { environment["PATH"] = path }
        let r = try Subprocess.run(try Respaldo.argv("drill", config: ws.configPath, [job, "--snapshot", id, "--report", reportPath]),
                                   environment: environment, timeout: 180)
        XCTAssertFalse(Files.exists(pwned), "the dump ran a command on the drill host (\(pwned) exists)\n\(r.summary)", file: file, line: line)
        assertExit(r, 1, "the drill fails", file: file, line: line)
        // The snapshot passed [trust]: it is the loader's sandbox that refused it.
        XCTAssertFalse(r.output.contains("not authenticated") || r.output.contains("signature") || r.output.contains("tamper"), r.summary, file: file, line: line)
        let report = try DrillFixture.report(reportPath)
        let error = report["error"] as? String ?? ""
        for part in expect {
            XCTAssertTrue(error.contains(part), "the error names \(part): \(error)", file: file, line: line)
            XCTAssertTrue(r.output.contains(part), "the drill's output names \(part)\n\(r.summary)", file: file, line: line)
        }
        XCTAssertEqual(report["scratch_removed"] as? Bool, true, file: file, line: line)
        DrillFixture.assertNoWorkFolders(ws, file: file, line: line)
        return error
    }
}

final class DrillClientCommandPostgresTests: XCTestCase {
    private static let postgres = SharedPostgres()

    override class func tearDown() {
        postgres.stop()
        super.tearDown()
    }

    private func setUp(_ pg: PostgresServer, _ ws: Workspace, database: String) throws -> String {
        try pg.psql("CREATE DATABASE \(database)")
        try pg.psql("CREATE TABLE notes (id integer PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a\\b'), (2, E'\\\\! not a command'), (3, NULL)",
                    database: database)
        let passwordFile = ws.path("pg.pass")
        try Files.write(passwordFile, pg.password + "\n", mode: 0o600)
        try HostileDump.writeConfig(ws, jobs: [DrillFixture.postgresJob("notes", pg, database: database, passwordFile: passwordFile)])
        return try HostileDump.install(tool: "pg_dump", in: ws)
    }

    /// `\!` at the start of a line, after pg_dump's own `\unrestrict`: the filter refuses it
    /// before psql sees it, naming the line.
    func testShellEscapeAtLineStartIsRefusedWithItsLine() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-hostile-pg")
        let path = try setUp(pg, ws, database: "notes_bang")
        let pwned = ws.path("pwned")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["\\! touch \(pwned)"])
        let line = try HostileDump.line(of: "\\! touch", in: ws, snapshot: id)
        try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, expect: ["psql meta-command on line \(line) (\\!", "must not run client commands"])
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])
    }

    /// Other meta-commands that run programs or touch files: each refused.
    func testOtherMetaCommandsAreRefused() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-hostile-pg-other")
        let path = try setUp(pg, ws, database: "notes_other")
        for (index, command) in ["\\o |touch", "\\copy (SELECT 1) TO PROGRAM 'touch", "   \\! touch"].enumerated() {
            let pwned = ws.path("pwned-\(index)")
            let hostile = command + " " + pwned + (command.contains("'") ? "'" : "")
            let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1;", hostile])
            let shown = hostile.trimmingCharacters(in: .whitespaces).prefix(2)
            try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, expect: ["psql meta-command on line", "(\(shown)", "must not run client commands"])
        }
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])
    }

    /// `\!` in the middle of a line is no line-start meta-command for the filter: psql's
    /// restricted mode (`\restrict` with the drill's own key) refuses it.
    func testShellEscapeMidLineIsStoppedByRestrictedMode() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-hostile-pg-mid")
        let path = try setUp(pg, ws, database: "notes_mid")
        let pwned = ws.path("pwned")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1; \\! touch \(pwned)"])
        try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, expect: ["restricted mode", "must not run client commands"])
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])
    }

    /// The dump's own `\unrestrict` with a guessed key (pg_dump's, from the top of the dump)
    /// does not lift the drill's restriction.
    func testDumpsOwnKeyDoesNotLiftTheRestriction() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-hostile-pg-key")
        let path = try setUp(pg, ws, database: "notes_key")
        let pwned = ws.path("pwned")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1; \\unrestrict guessed", "SELECT 2; \\! touch \(pwned)"])
        try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, expect: ["restricted mode", "must not run client commands"])
    }

    /// A psql without restricted mode (its `--version` says 15.13) is not run on the dump at
    /// all: no filter could make it safe.
    func testPsqlWithoutRestrictedModeIsNotRun() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-old-psql")
        let path = try setUp(pg, ws, database: "notes_old")
        let pwned = ws.path("pwned")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1; \\! touch \(pwned)"])
        let old = try HostileDump.installOldClient("psql", in: ws, answering: "--version", with: "echo 'psql (PostgreSQL) 15.13'")
        try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, path: old,
                                      expect: ["psql cannot load the dump safely", "15.13", "no restricted mode"])
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])
    }

    /// A genuine dump (with pg_dump's `\restrict` lines, COPY data holding backslashes and a
    /// NULL) still drills.
    func testGenuineDumpWithBackslashDataDrills() throws {
        let pg = try Self.postgres.get()
        let ws = try Workspace.make(for: self, "drill-genuine-pg")
        let path = try setUp(pg, ws, database: "notes_ok")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1;"])
        let r = try ws.respaldo("drill", "notes", "--snapshot", id)
        assertExit(r, 0, "a dump with no client command drills")
        XCTAssertEqual(try DrillFixture.scratchDatabases(pg), [])
    }
}

final class DrillClientCommandMySQLTests: XCTestCase {
    private static let mariadb = SharedMariaDB()

    override class func tearDown() {
        mariadb.stop()
        super.tearDown()
    }

    private func setUp(_ my: MariaDBServer, _ ws: Workspace, database: String, forged: Bool = true) throws -> String {
        try my.sql("CREATE DATABASE \(database)")
        try my.sql("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB; INSERT INTO notes VALUES (1, 'a\\\\b'), (2, '\\\\! x\\nsystem y'), (3, NULL)",
                   database: database)
        let passwordFile = ws.path("my.pass")
        try Files.write(passwordFile, my.password + "\n", mode: 0o600)
        try HostileDump.writeConfig(ws, jobs: ["""
            [[jobs]]
            name = "notes"
            source = "mysql"
            database = \(toml(database))
            host = \(toml(my.host))
            port = \(my.port)
            user = \(toml(my.user))
            password_file = \(toml(passwordFile))

            """])
        // mariadb-dump 10.11.19 begins with `/*M!999999\\- enable the sandbox mode */`, which
        // puts a recent client in sandbox mode by itself; a forged dump leaves it out.
        return try HostileDump.install(tool: "mariadb-dump", in: ws, dropping: forged ? "enable the sandbox mode" : nil)
    }

    /// `\!` and `system` at the start of a line: the filter refuses each, naming the line.
    func testShellCommandsAtLineStartAreRefusedWithTheirLine() throws {
        let my = try Self.mariadb.get()
        let ws = try Workspace.make(for: self, "drill-hostile-my")
        let path = try setUp(my, ws, database: "notes_bang")
        for (index, (command, shown)) in [("\\! touch", "\\!"), ("system touch", "system"), ("  SYSTEM touch", "SYSTEM")].enumerated() {
            let pwned = ws.path("pwned-\(index)")
            let hostile = command + " " + pwned
            let id = try HostileDump.backup(ws, job: "notes", path: path, lines: [hostile])
            let line = try HostileDump.line(of: hostile, in: ws, snapshot: id)
            try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, expect: ["client command on line \(line) (\(shown)", "must not run client commands"])
        }
        XCTAssertEqual(try DrillFixture.scratchDatabases(my), [])
    }

    /// `\!` in the middle of a line: the client's sandbox mode refuses it.
    func testShellEscapeMidLineIsStoppedBySandboxMode() throws {
        let my = try Self.mariadb.get()
        let ws = try Workspace.make(for: self, "drill-hostile-my-mid")
        let path = try setUp(my, ws, database: "notes_mid")
        let pwned = ws.path("pwned")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1; \\! touch \(pwned)"])
        let line = try HostileDump.line(of: "SELECT 1; \\! touch", in: ws, snapshot: id)
        try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, expect: ["sandbox mode", "line \(line)", "must not run client commands"])
        XCTAssertEqual(try DrillFixture.scratchDatabases(my), [])
    }

    /// A client without --sandbox (its `--help` does not list it) is not run on the dump.
    func testClientWithoutSandboxIsNotRun() throws {
        let my = try Self.mariadb.get()
        let ws = try Workspace.make(for: self, "drill-old-mariadb")
        let path = try setUp(my, ws, database: "notes_old")
        let pwned = ws.path("pwned")
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1; \\! touch \(pwned)"])
        let old = try HostileDump.installOldClient("mariadb", in: ws, answering: "--help", with: "\"$REAL\" --no-defaults --help | grep -v -e sandbox")
        try HostileDump.assertRefused(ws, job: "notes", snapshot: id, pwned: pwned, path: old,
                                      expect: ["mariadb cannot load the dump safely", "no --sandbox"])
        XCTAssertEqual(try DrillFixture.scratchDatabases(my), [])
    }

    /// A genuine dump (mariadb-dump's own sandbox line first, backslashes in the data) drills.
    func testGenuineDumpDrills() throws {
        let my = try Self.mariadb.get()
        let ws = try Workspace.make(for: self, "drill-genuine-my")
        let path = try setUp(my, ws, database: "notes_ok", forged: false)
        let id = try HostileDump.backup(ws, job: "notes", path: path, lines: ["SELECT 1;"])
        let first = try ws.respaldo("restore", id, "--stdout").stdoutLines.first ?? ""
        XCTAssertEqual(first, "/*M!999999\\- enable the sandbox mode */", "mariadb-dump's first line")
        let r = try ws.respaldo("drill", "notes", "--snapshot", id)
        assertExit(r, 0, "a dump with no client command drills")
        XCTAssertEqual(try DrillFixture.scratchDatabases(my), [])
    }
}

/// The drill's tools and restore_command run with a minimal environment: nothing of
/// respaldo's own (a secret in a variable, the operator's HOME with its ~/.psqlrc or
/// ~/.my.cnf) reaches them.
final class DrillEnvironmentTests: XCTestCase {
    func testRestoreCommandGetsTheMinimalEnvironment() throws {
        let ws = try Workspace.make(for: self, "drill-env")
        let seen = ws.path("env.txt")
        try HostileDump.writeConfig(ws, jobs: [Workspace.commandJob("blob", ["sh", "-c", "echo data"], extra: """
            [jobs.drill]
            restore_command = \(toml(["sh", "-c", "cat > /dev/null && env > \(shellQuote(seen))"]))
            """)])
        _ = try ws.backup("blob")
        var environment = Respaldo.environment(home: ws.root)
        environment["RESPALDO_IT_SECRET"] = "leak"
        environment["PGPASSWORD"] = "leak"
        environment["LC_ALL"] = "POSIX"
        environment["TZ"] = "America/Mexico_City"
        let r = try Subprocess.run(try Respaldo.argv("drill", config: ws.configPath, ["blob"]), environment: environment)
        assertExit(r, 0, "the drill of a command job")
        var variables: [String: String] = [:]
        for line in String(decoding: try Files.read(seen), as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { variables[String(parts[0])] = String(parts[1]) }
        }
        XCTAssertNil(variables["RESPALDO_IT_SECRET"], "respaldo's own variables stay with respaldo: \(variables)")
        XCTAssertNil(variables["PGPASSWORD"], "\(variables)")
        XCTAssertEqual(variables["LANG"], "C.UTF-8")
        XCTAssertEqual(variables["LC_ALL"], "C.UTF-8")
        XCTAssertEqual(variables["TZ"], "America/Mexico_City")
        XCTAssertNotNil(variables["PATH"])
        XCTAssertTrue(variables["HOME"]?.hasPrefix(ws.stateDir + "/drill/") == true, "HOME is the drill's private work folder: \(variables)")
        XCTAssertTrue(variables["RESPALDO_DRILL_DIR"]?.hasPrefix(ws.stateDir + "/drill/") == true, "\(variables)")
        let expected: Set<String> = ["PATH", "LANG", "LC_ALL", "TZ", "HOME", "RESPALDO_DRILL_DIR", "PWD", "SHLVL", "_", "OLDPWD"]
        XCTAssertEqual(Set(variables.keys).subtracting(expected), [], "only the allow-listed variables: \(variables)")
    }
}
