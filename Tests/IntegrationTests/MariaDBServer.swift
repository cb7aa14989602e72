import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A throwaway MariaDB server for the integration tests: `mariadb-install-db` into a fresh
/// temporary folder, `mariadbd` listening on 127.0.0.1 at a free port with its socket in that
/// folder, and a password user `respaldo` for TCP (so respaldo's password_file is really used).
/// The fixture's own statements go over the socket as root. As root, mariadbd switches to the
/// `mysql` user itself (`--user`), so its PID is the server's: stopped by PID at teardown.
final class MariaDBServer: @unchecked Sendable {
    static let serverBinary = "/usr/sbin/mariadbd"
    let host = "127.0.0.1"
    let user = "respaldo"
    let password: String
    let port: Int
    let baseDir: String
    private let process: Subprocess

    var socket: String { baseDir + "/mariadbd.sock" }
    var logPath: String { baseDir + "/mariadbd.err" }
    var pid: pid_t { process.pid }

    private init(password: String, port: Int, baseDir: String, process: Subprocess) {
        self.password = password
        self.port = port
        self.baseDir = baseDir
        self.process = process
    }

    /// Creates and starts a server; bounded by `timeout` seconds per step.
    static func start(timeout: TimeInterval = 90) throws -> MariaDBServer {
        guard FileManager.default.isExecutableFile(atPath: serverBinary) else {
            throw TestFailure("\(serverBinary) is not installed: install the Debian package `mariadb-server` (scripts/install-deps.sh does)")
        }
        try Tools.require("mariadb-install-db", package: "mariadb-server")
        try Tools.require("mariadb", package: "mariadb-client")
        try Tools.require("mariadb-dump", package: "mariadb-client")
        var owner: (uid: uid_t, gid: gid_t)?
        if Tools.isRoot {
            guard let pw = getpwnam("mysql") else {
                throw TestFailure("running as root but there is no `mysql` user to run MariaDB as: install the Debian package `mariadb-server`")
            }
            owner = (pw.pointee.pw_uid, pw.pointee.pw_gid)
            try Tools.require("runuser", package: "util-linux")
        }
        let baseDir = try makeTempDirectory(prefix: "respaldo-it-my")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(atPath: baseDir) } }
        if let owner { guard chown(baseDir, owner.uid, owner.gid) == 0 else { throw TestFailure("chown \(baseDir) failed") } }

        let install = try Subprocess.run((owner == nil ? [] : ["runuser", "-u", "mysql", "--"]) + [
            "mariadb-install-db", "--no-defaults", "--datadir=\(baseDir)/data", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve",
        ], workingDirectory: baseDir, timeout: timeout)
        guard install.exitCode == 0 else { throw TestFailure("mariadb-install-db failed: \(install.summary)") }

        // A free port can be taken between the probe and the start: try a few.
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try freeTCPPort()
            let process = try Subprocess([
                serverBinary, "--no-defaults", "--datadir=\(baseDir)/data", "--socket=\(baseDir)/mariadbd.sock",
                "--port=\(port)", "--bind-address=127.0.0.1", "--pid-file=\(baseDir)/mariadbd.pid",
                "--log-error=\(baseDir)/mariadbd.err", "--tmpdir=\(baseDir)", "--skip-name-resolve", "--skip-log-bin",
                "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0",
            ] + (owner == nil ? [] : ["--user=mysql"]), timeout: 24 * 3600)
            let server = MariaDBServer(password: randomPassword(), port: port, baseDir: baseDir, process: process)
            if server.waitReady(timeout: timeout) {
                try server.sql("""
                    CREATE USER '\(server.user)'@'127.0.0.1' IDENTIFIED BY '\(server.password)';
                    GRANT ALL PRIVILEGES ON *.* TO '\(server.user)'@'127.0.0.1';
                    """)
                started = true
                return server
            }
            lastFailure = (try? String(contentsOfFile: baseDir + "/mariadbd.err", encoding: .utf8)).map { String($0.suffix(3000)) } ?? ""
            server.kill()
        }
        throw TestFailure("mariadbd did not start: \(lastFailure)")
    }

    private static func randomPassword() -> String {
        String(format: "%016llx%016llx", UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
    }

    /// Polls the socket until the server answers; false when it died or the time ran out.
    private func waitReady(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !processIsAlive(pid) { return false }
            if let r = try? Subprocess.run(["mariadb", "--no-defaults", "--socket=\(socket)", "-u", "root", "-e", "SELECT 1"], timeout: 10), r.exitCode == 0 {
                return true
            }
            usleep(100_000)
        }
        return false
    }

    /// Runs SQL over the socket as root; returns batch output without column names.
    @discardableResult
    func sql(_ sql: String, database: String? = nil, timeout: TimeInterval = 120) throws -> String {
        var argv = ["mariadb", "--no-defaults", "--socket=\(socket)", "-u", "root", "--batch", "--skip-column-names"]
        if let database { argv.append("--database=\(database)") }
        argv.append("--execute=\(sql)")
        let r = try Subprocess.run(argv, timeout: timeout)
        guard r.exitCode == 0 else { throw TestFailure("mariadb failed: \(sql.prefix(300))\n\(r.summary)") }
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Loads SQL from a file over the socket as root (for scripts too long for an argument).
    func load(_ path: String, database: String, timeout: TimeInterval = 300) throws {
        let r = try Subprocess.run(["mariadb", "--no-defaults", "--socket=\(socket)", "-u", "root", "--database=\(database)"],
                                   stdinPath: path, timeout: timeout)
        guard r.exitCode == 0 else { throw TestFailure("mariadb < \(path) failed: \(r.summary)") }
    }

    /// SIGTERM (a clean shutdown), SIGKILL after 30 s; reaps it and removes the folder.
    /// Returns true when the server is gone.
    @discardableResult
    func stop() -> Bool {
        Glibc.kill(pid, SIGTERM)
        if !waitGone(pid, seconds: 30) { kill() }
        _ = process.wait()
        let gone = !processIsAlive(pid)
        if ProcessInfo.processInfo.environment["RESPALDO_IT_KEEP"] != "1" {
            try? FileManager.default.removeItem(atPath: baseDir)
        }
        return gone
    }

    private func kill() {
        Glibc.kill(pid, SIGKILL)
        _ = waitGone(pid, seconds: 10)
        _ = process.wait()
    }
}

/// One server shared by the tests of a class: started on first use, stopped in the class's
/// `tearDown()`.
final class SharedMariaDB: Sendable {
    private let state = Mutex<Result<MariaDBServer, any Error>?>(nil)

    init() {}

    func get() throws -> MariaDBServer {
        let result = state.withLock { value -> Result<MariaDBServer, any Error> in
            if let value { return value }
            let r = Result { try MariaDBServer.start() }
            value = r
            return r
        }
        return try result.get()
    }

    func stop() {
        let server = state.withLock { value -> MariaDBServer? in
            defer { value = nil }
            return try? value?.get()
        }
        server?.stop()
    }
}
