import Foundation
import XCTest

@testable import RespaldoCore

final class DumpEnvironmentTests: XCTestCase {
    func testAllowListOnly() {
        let parent = [
            "PATH": "/opt/bin:/usr/bin", "HOME": "/var/lib/respaldo", "TZ": "America/Mexico_City", "LANG": "es_MX.UTF-8",
            "AWS_SECRET_ACCESS_KEY": "x", "PGPASSWORD": "x", "MYSQL_PWD": "x", "LD_PRELOAD": "/tmp/x.so", "PGHOST": "elsewhere",
            "NOTIFY_SOCKET": "/run/systemd/notify", "http_proxy": "http://u:p@proxy",
        ]
        let env = dumpEnvironment(adding: ["PGPASSFILE": "/var/lib/respaldo/run/crm/pgpass"], parent: parent)
        XCTAssertEqual(env, [
            "PATH": "/opt/bin:/usr/bin", "HOME": "/var/lib/respaldo", "TZ": "America/Mexico_City",
            "LANG": "es_MX.UTF-8", "PGPASSFILE": "/var/lib/respaldo/run/crm/pgpass",
        ])
    }

    func testDefaultsWithoutAnEnvironment() {
        let env = dumpEnvironment(adding: [:], parent: [:])
        XCTAssertEqual(env["PATH"], defaultChildPath)
        XCTAssertEqual(env["LANG"], "C.UTF-8")
        XCTAssertEqual(env["LC_ALL"], "C.UTF-8")
        XCTAssertTrue(env["HOME"]?.hasPrefix("/") ?? false, "the account's home from the password database: \(env)")
        XCTAssertNil(env["TZ"])
    }
}
