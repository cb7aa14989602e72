import Foundation
import XCTest

/// The MariaDB fixture itself (needs no respaldo binary): it starts, answers over its socket
/// and over TCP with the password only, and stops leaving no process or folder behind.
final class MariaDBFixtureTests: XCTestCase {
    func testStartQueryStop() throws {
        let server = try MariaDBServer.start()
        var stopped = false
        defer { if !stopped { server.stop() } }

        XCTAssertTrue(processIsAlive(server.pid), "mariadbd \(server.pid) should be running")
        XCTAssertEqual(try server.sql("SELECT 40 + 2"), "42")
        let tcp = ["mariadb", "--no-defaults", "--host=\(server.host)", "--port=\(server.port)", "--user=\(server.user)", "--batch", "--skip-column-names", "--execute=SELECT CURRENT_USER()"]
        let without = try Subprocess.run(tcp)
        XCTAssertNotEqual(without.exitCode, 0, "TCP without the password must be refused\n\(without.summary)")
        let with = try Subprocess.run(tcp, environment: ["MYSQL_PWD": server.password])
        XCTAssertEqual(with.exitCode, 0, with.summary)
        XCTAssertEqual(with.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "\(server.user)@127.0.0.1")

        let pid = server.pid
        let baseDir = server.baseDir
        XCTAssertTrue(server.stop(), "mariadbd \(pid) should be gone after stop()")
        stopped = true
        XCTAssertFalse(processIsAlive(pid))
        XCTAssertFalse(Files.exists(baseDir), "\(baseDir) should be removed")
    }
}
