import XCTest

@testable import RespaldoCore

/// What keeps a drill's loaders from running a dump's client commands, apart from the line
/// filters: which psql has restricted mode, the restrict line, reading the clients' refusals,
/// and the tools' minimal environment.
final class DrillClientGuardTests: XCTestCase {
    func testPsqlVersionsWithRestrictedMode() {
        let cases: [(String, Bool)] = [
            ("psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", true),
            ("psql (PostgreSQL) 15.14", true),
            ("psql (PostgreSQL) 15.13 (Ubuntu 15.13-1.pgdg22.04+1)", false),
            ("psql (PostgreSQL) 13.21", false),
            ("psql (PostgreSQL) 13.22", true),
            ("psql (PostgreSQL) 14.18", false),
            ("psql (PostgreSQL) 14.19", true),
            ("psql (PostgreSQL) 16.9", false),
            ("psql (PostgreSQL) 16.10", true),
            ("psql (PostgreSQL) 17.5", false),
            ("psql (PostgreSQL) 17.6", true),
            ("psql (PostgreSQL) 18.0", true),
            ("psql (PostgreSQL) 18beta3", false),
            ("psql (PostgreSQL) 19devel", true),
            ("psql (PostgreSQL) 12.22", false),
            ("psql (PostgreSQL) 9.6.24", false),
        ]
        for (output, expected) in cases {
            guard let version = PsqlRestriction.version(output) else { XCTFail("no version in \(output)"); continue }
            XCTAssertEqual(PsqlRestriction.supported(version), expected, output)
        }
        XCTAssertEqual(PsqlRestriction.version("psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").map { [$0.major, $0.minor] }, [15, 18])
        XCTAssertNil(PsqlRestriction.version("psql: command not found"))
        XCTAssertNil(PsqlRestriction.version("psql (PostgreSQL) devel"))
    }

    func testRestrictLineHasAFreshKeyEachTime() {
        let first = String(decoding: PsqlRestriction.restrictLine(), as: UTF8.self)
        let second = String(decoding: PsqlRestriction.restrictLine(), as: UTF8.self)
        XCTAssertTrue(first.hasPrefix("\\restrict ") && first.hasSuffix("\n"), first)
        let key = first.dropFirst("\\restrict ".count).dropLast()
        XCTAssertEqual(key.count, 64)
        XCTAssertTrue(key.allSatisfy { $0.isHexDigit })
        XCTAssertNotEqual(first, second)
    }

    func testClientsRefusalsAreRecognized() {
        XCTAssertEqual(PsqlRestriction.refusal(in: "backslash commands are restricted; only \\unrestrict is allowed"),
                       "backslash commands are restricted; only \\unrestrict is allowed")
        XCTAssertEqual(PsqlRestriction.refusal(in: "x | \\unrestrict: wrong key"), "\\unrestrict: wrong key")
        XCTAssertNil(PsqlRestriction.refusal(in: "ERROR:  relation \"notes\" does not exist"))
        let sandbox = MySQLSandbox.refusal(in: "1 | ERROR at line 59: Not allowed in the sandbox mode")
        XCTAssertEqual(sandbox?.line, 59)
        XCTAssertEqual(sandbox?.message, "Not allowed in the sandbox mode")
        XCTAssertNil(MySQLSandbox.refusal(in: "ERROR 1064 (42000) at line 3: You have an error in your SQL syntax"))
    }

    func testMinimalEnvironmentIsAnAllowList() {
        let parent = ["PATH": "/opt/bin:/usr/bin", "HOME": "/root", "PGPASSWORD": "secret", "MYSQL_PWD": "secret", "TZ": "Europe/Madrid",
                      "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8", "LD_PRELOAD": "/tmp/x.so", "PSQLRC": "/tmp/rc"]
        XCTAssertEqual(minimalChildEnvironment(home: "/var/lib/respaldo/drill/x", adding: ["PGHOST": "db", "RESPALDO_DRILL_DIR": "/d"], parent: parent), [
            "PATH": "/opt/bin:/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "Europe/Madrid", "HOME": "/var/lib/respaldo/drill/x",
            "PGHOST": "db", "RESPALDO_DRILL_DIR": "/d",
        ])
        XCTAssertEqual(minimalChildEnvironment(home: "/h", adding: [:], parent: [:]),
                       ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/h"])
        XCTAssertEqual(minimalChildEnvironment(home: "/h", adding: [:], parent: ["PATH": ""])["PATH"], "/usr/local/bin:/usr/bin:/bin")
    }
}
