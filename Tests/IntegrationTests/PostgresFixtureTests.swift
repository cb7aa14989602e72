import Foundation
import XCTest

/// The PostgreSQL fixture itself (needs no respaldo binary): it starts, answers queries over
/// its socket and over TCP with the password, and stops leaving no process behind.
final class PostgresFixtureTests: XCTestCase {
    func testStartQueryStop() throws {
        let server = try PostgresServer.start()
        var stopped = false
        defer { if !stopped { server.stop() } }

        XCTAssertTrue(server.isRunning, "postmaster \(server.pid) should be running")
        XCTAssertEqual(try server.psql("SELECT 40 + 2"), "42")
        XCTAssertTrue(try server.psql("SHOW listen_addresses").contains("127.0.0.1"))

        // TCP needs the password (scram-sha-256): refused without it, accepted with it.
        let psqlTCP = [server.binDir + "/psql", "-X", "-A", "-t", "-w", "-h", server.host, "-p", "\(server.port)", "-U", server.user, "-d", "postgres", "-c", "SELECT current_user"]
        let without = try Subprocess.run(psqlTCP, environment: ["PGPASSWORD": nil, "PGPASSFILE": "/dev/null"])
        XCTAssertNotEqual(without.exitCode, 0, "TCP without a password must be refused\n\(without.summary)")
        let with = try Subprocess.run(psqlTCP, environment: ["PGPASSWORD": server.password, "PGPASSFILE": nil])
        XCTAssertEqual(with.exitCode, 0, with.summary)
        XCTAssertEqual(with.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "postgres")

        let pid = server.pid
        let baseDir = server.baseDir
        XCTAssertTrue(server.stop(), "postmaster \(pid) should be gone after stop()")
        stopped = true
        XCTAssertFalse(processIsAlive(pid), "postmaster \(pid) still alive")
        XCTAssertFalse(Files.exists(baseDir), "\(baseDir) should be removed")
    }
}
