import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A respaldo SIGKILLed during a PostgreSQL dump (issue 14, item 6): the dump and the counting
/// psql session die with it (PR_SET_PDEATHSIG) instead of running on under init, and the
/// pgpass file the killed run could not remove is removed by the next run of the job.
final class CrashCleanupTests: XCTestCase {
    private static let postgres = SharedPostgres()

    override class func tearDown() {
        postgres.stop()
        super.tearDown()
    }

    func testSIGKILLDuringADumpLeavesNoProcessAndTheNextRunRemovesThePassword() throws {
        let pg = try Self.postgres.get()
        try pg.psql("CREATE DATABASE crashdb")
        try pg.psql("CREATE TABLE held (id integer PRIMARY KEY); INSERT INTO held SELECT generate_series(1, 1000);", database: "crashdb")
        let ws = try Workspace.make(for: self, "crash")
        let passwordFile = ws.path("pg.password")
        try Files.write(passwordFile, pg.password + "\n", mode: 0o600)
        try ws.writeConfig("""
            [[jobs]]
            name = "crash"
            source = "postgres"
            database = "crashdb"
            host = \(toml(pg.host))
            port = \(pg.port)
            user = "postgres"
            password_file = \(toml(passwordFile))

            """)

        // Another session holds the table: pg_dump (and the counting session's count) wait on
        // it, so the dump is still running when respaldo is killed.
        let holder = try Subprocess([
            pg.binDir + "/psql", "-X", "-q", "-h", pg.socketDir, "-p", "\(pg.port)", "-U", "postgres", "-d", "crashdb",
            "-c", "BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);",
        ], environment: ["PGPASSWORD": nil, "PGPASSFILE": nil], timeout: 90)
        defer { kill(-holder.pid, SIGKILL); _ = holder.wait() }
        XCTAssertTrue(waitUntil(15) { (try? pg.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'held' AND l.mode = 'AccessExclusiveLock' AND l.granted", database: "crashdb")) == "1" },
                      "the lock holder should hold the table")

        let run = try ws.startRespaldo("backup", "crash", timeout: 120)
        let pgpass = ws.stateDir + "/run/crash/pgpass"
        var children: [pid_t: String] = [:]
        let started = waitUntil(20) {
            children = childProcesses(of: run.pid)
            return children.values.contains("pg_dump") && Files.exists(pgpass)
        }
        XCTAssertTrue(started, "pg_dump should be running, waiting for the lock: children \(children)\n\(run.stderrSoFar)")
        XCTAssertTrue(children.values.contains("psql"), "the counting psql session should be running: \(children)")

        kill(run.pid, SIGKILL)
        let killed = run.wait()
        XCTAssertEqual(killed.signal, SIGKILL, killed.summary)
        for (pid, name) in children {
            XCTAssertTrue(waitGone(pid, seconds: 5), "\(name) (pid \(pid)) must die with respaldo, not run on under init")
        }
        XCTAssertTrue(Files.exists(pgpass), "precondition: the SIGKILLed run could not remove its pgpass file")

        // The next run, once the table is free: it removes what the killed run left, says so,
        // and leaves no password behind either.
        try pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%LOCK TABLE held%' AND pid <> pg_backend_pid()")
        _ = holder.wait()
        let next = try ws.respaldo("backup", "crash")
        assertExit(next, 0, "the next run succeeds")
        XCTAssertTrue(next.stderrText.contains("stale") && next.stderrText.contains("pgpass"),
                      "the next run says it removed the stale password file\n\(next.summary)")
        XCTAssertFalse(Files.exists(ws.stateDir + "/run/crash"), "no secret file remains after the next run")
    }

    /// What the killed run's dump started (not the dump's own child, so PR_SET_PDEATHSIG does
    /// not reach it) is killed by the next run, from the process group the run recorded.
    func testTheNextRunKillsWhatTheKilledDumpLeftRunning() throws {
        let ws = try Workspace.make(for: self, "leftover")
        let marker = "1000.\(UInt32.random(in: 100_000...999_999))"
        try ws.writeConfig(Workspace.commandJob("db", ["sh", "-c", "sleep \(marker) >/dev/null & echo data; exec sleep 60"]))
        let run = try ws.startRespaldo("backup", "db", timeout: 60)
        var leftover: pid_t?
        XCTAssertTrue(waitUntil(15) { leftover = processes(withArgument: marker).first; return leftover != nil }, run.stderrSoFar)
        usleep(200_000)
        kill(run.pid, SIGKILL)
        _ = run.wait()
        let pid = try XCTUnwrap(leftover)
        usleep(300_000)
        XCTAssertFalse(waitGone(pid, seconds: 0.5), "precondition: the dump's own child outlives a SIGKILLed respaldo")

        try ws.writeConfig(Workspace.commandJob("db", ["echo", "data"]))
        let next = try ws.respaldo("backup", "db")
        assertExit(next, 0, "the next run")
        XCTAssertTrue(next.stderrText.contains("ended without finishing") && next.stderrText.contains("killed 1 process"), next.summary)
        XCTAssertTrue(waitGone(pid, seconds: 5), "the leftover of the killed run's dump is gone")
    }

    /// A stale secret folder is removed, and logged, by the next run even when that run fails.
    func testStaleSecretsGoWithTheNextRunEvenAFailingOne() throws {
        let ws = try Workspace.make(for: self, "stale")
        let stale = ws.stateDir + "/run/db"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Files.write(stale + "/pgpass", "*:*:*:*:leaked\n", mode: 0o600)
        try ws.writeConfig(Workspace.commandJob("db", ["sh", "-c", "exit 3"]))
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "the dump fails")
        XCTAssertTrue(r.stderrText.contains("stale"), "the run says it removed stale secret files\n\(r.summary)")
        XCTAssertFalse(Files.exists(stale), "the stale pgpass is gone")
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// The live children of `parent` (pid -> command name), from /proc.
func childProcesses(of parent: pid_t) -> [pid_t: String] {
    var out: [pid_t: String] = [:]
    for pid in Files.list("/proc").compactMap({ pid_t($0) }) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, pid_t(fields[1]) == parent, fields[0] != "Z" else { continue }
        out[pid] = String(stat[stat.index(after: open)..<close])
    }
    return out
}
