import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A throwaway PostgreSQL server for the integration tests: `initdb` into a fresh temporary
/// folder, listening on 127.0.0.1 at a free port, with scram-sha-256 password authentication
/// for TCP connections (so respaldo's password_file is really used) and trust on its private
/// Unix socket (used by the fixture's own psql calls). PostgreSQL refuses to run as root, so as
/// root the server runs as the `postgres` user (created by Debian's postgresql package).
final class PostgresServer: Sendable {
    /// The superuser.
    let user = "postgres"
    let password: String
    let port: Int
    let host = "127.0.0.1"
    /// Holds the data directory, the Unix socket and the server log.
    let baseDir: String
    let binDir: String
    /// The postmaster's PID (postmaster.pid's first line).
    let pid: pid_t
    private let runAsPostgres: Bool

    var dataDir: String { baseDir + "/data" }
    var socketDir: String { baseDir }
    var logPath: String { baseDir + "/postgres.log" }

    private init(password: String, port: Int, baseDir: String, binDir: String, pid: pid_t, runAsPostgres: Bool) {
        self.password = password
        self.port = port
        self.baseDir = baseDir
        self.binDir = binDir
        self.pid = pid
        self.runAsPostgres = runAsPostgres
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` holding initdb and pg_ctl.
    static func findBinDir() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = Files.list(root)
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") && FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/pg_ctl") }
            .sorted { (Double($0) ?? 0) < (Double($1) ?? 0) }
        guard let newest = versions.last else {
            throw TestFailure("PostgreSQL server binaries (initdb, pg_ctl) not found under \(root): install the Debian package `postgresql` (scripts/install-deps.sh does)")
        }
        return "\(root)/\(newest)/bin"
    }

    /// Creates and starts a server; bounded by `timeout` seconds per step.
    static func start(timeout: TimeInterval = 90) throws -> PostgresServer {
        let binDir = try findBinDir()
        try Tools.require("pg_dump", package: "postgresql-client")
        let runAsPostgres = Tools.isRoot
        var owner: (uid: uid_t, gid: gid_t)?
        if runAsPostgres {
            guard let pw = getpwnam("postgres") else {
                throw TestFailure("running as root but there is no `postgres` user to run PostgreSQL as: install the Debian package `postgresql`")
            }
            owner = (pw.pointee.pw_uid, pw.pointee.pw_gid)
            try Tools.require("runuser", package: "util-linux")
        }

        let baseDir = try makeTempDirectory(prefix: "respaldo-it-pg")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(atPath: baseDir) } }
        if let owner { guard chown(baseDir, owner.uid, owner.gid) == 0 else { throw TestFailure("chown \(baseDir) failed") } }

        let password = String(format: "%016llx%016llx", UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
        let pwfile = baseDir + "/initdb-password"
        try Files.write(pwfile, password + "\n", mode: 0o600)
        if let owner { _ = chown(pwfile, owner.uid, owner.gid) }

        func asServerUser(_ argv: [String]) -> [String] { runAsPostgres ? ["runuser", "-u", "postgres", "--"] + argv : argv }

        let initdb = try Subprocess.run(asServerUser([
            binDir + "/initdb", "-D", baseDir + "/data", "-U", "postgres", "--pwfile=" + pwfile,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync",
        ]), workingDirectory: baseDir, timeout: timeout)
        unlink(pwfile)
        guard initdb.exitCode == 0 else { throw TestFailure("initdb failed: \(initdb.summary)") }

        // A free port can be taken between the probe and the start: try a few.
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try freeTCPPort()
            let options = "-p \(port) -k \(baseDir) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
            let start = try Subprocess.run(asServerUser([
                binDir + "/pg_ctl", "-D", baseDir + "/data", "-l", baseDir + "/postgres.log", "-o", options, "-w", "-t", "\(Int(timeout))", "start",
            ]), workingDirectory: baseDir, timeout: timeout + 10)
            if start.exitCode == 0 {
                let pidText = (try? String(contentsOfFile: baseDir + "/data/postmaster.pid", encoding: .utf8)) ?? ""
                guard let pid = pid_t(pidText.split(separator: "\n").first ?? "") else {
                    throw TestFailure("PostgreSQL started but postmaster.pid is unreadable: \(pidText)")
                }
                started = true
                return PostgresServer(password: password, port: port, baseDir: baseDir, binDir: binDir, pid: pid, runAsPostgres: runAsPostgres)
            }
            let log = (try? String(contentsOfFile: baseDir + "/postgres.log", encoding: .utf8)) ?? ""
            lastFailure = "\(start.summary)\n--- server log ---\n\(log.suffix(3000))"
        }
        throw TestFailure("pg_ctl start failed: \(lastFailure)")
    }

    /// Runs SQL over the Unix socket as the superuser; returns unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres", timeout: TimeInterval = 120) throws -> String {
        let r = try Subprocess.run([
            binDir + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", socketDir, "-p", "\(port)", "-U", user, "-d", database, "-c", sql,
        ], environment: ["PGPASSWORD": nil, "PGPASSFILE": nil, "PGSERVICE": nil], timeout: timeout)
        guard r.exitCode == 0 else { throw TestFailure("psql failed on \(database): \(sql.prefix(300))\n\(r.summary)") }
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The psql command line (as a shell fragment) that loads SQL from stdin into `database`.
    func psqlLoadCommand(database: String) -> String {
        [binDir + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", "\(port)", "-U", user, "-d", database]
            .map(shellQuote).joined(separator: " ")
    }

    var isRunning: Bool { processIsAlive(pid) }

    /// `pg_ctl stop -m fast`, then SIGKILL if the postmaster is still alive; removes the folder.
    /// Returns true when the postmaster is gone.
    @discardableResult
    func stop() -> Bool {
        let argv = [binDir + "/pg_ctl", "-D", dataDir, "-m", "fast", "-w", "-t", "30", "stop"]
        _ = try? Subprocess.run(runAsPostgres ? ["runuser", "-u", "postgres", "--"] + argv : argv, workingDirectory: baseDir, timeout: 40)
        if !waitGone(pid, seconds: 10) {
            kill(pid, SIGKILL)
            _ = waitGone(pid, seconds: 10)
        }
        let gone = !processIsAlive(pid)
        if ProcessInfo.processInfo.environment["RESPALDO_IT_KEEP"] != "1" {
            try? FileManager.default.removeItem(atPath: baseDir)
        }
        return gone
    }
}

/// One server shared by the tests of a class: started on first use, stopped in the class's
/// `tearDown()`.
final class SharedPostgres: Sendable {
    private let state = Mutex<Result<PostgresServer, any Error>?>(nil)

    init() {}

    func get() throws -> PostgresServer {
        let result = state.withLock { value -> Result<PostgresServer, any Error> in
            if let value { return value }
            let r = Result { try PostgresServer.start() }
            value = r
            return r
        }
        return try result.get()
    }

    func stop() {
        let server = state.withLock { value -> PostgresServer? in
            defer { value = nil }
            return try? value?.get()
        }
        server?.stop()
    }
}

/// True when `pid` exists and is not a zombie.
func processIsAlive(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 && errno != EPERM { return false }
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
       let close = stat.lastIndex(of: ")") {
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        if state == "Z" || state == "X" { return false }
    }
    return true
}

func waitGone(_ pid: pid_t, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if !processIsAlive(pid) { return true }
        usleep(50_000)
    }
    return !processIsAlive(pid)
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    let named = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
