import Foundation
import XCTest

@testable import RespaldoCore

/// The files a configuration names, and the configuration file itself: existence and permissions.
final class ConfigLoaderFileTests: ConfigLoaderTestCase {
    func testPrivateKeyPermissions() throws {
        let text = Self.head + remote
        XCTAssertNoThrow(try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        assertError(
            text, .insecurePermissions,
            "respaldo.toml:6: remotes[0] \"geo\": key \"identity_file\": \(key): identity file (SSH private key) is readable by group and others (mode 0644); it must be private: run chmod 600 \(key)"
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key)
        XCTAssertNoThrow(try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml"))

        try FileManager.default.removeItem(atPath: key)
        assertError(text, .fileProblem, "respaldo.toml:6:", "key \"identity_file\": \(key): identity file (SSH private key) does not exist")

        try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: knownHosts)
        try write("id_ed25519", "key", mode: 0o600)
        assertError(
            text, .insecurePermissions, "respaldo.toml:7:", "key \"known_hosts\": \(knownHosts): known_hosts file is writable by its group (mode 0664)")
    }

    func testPasswordAndDrillIdentityPermissions() throws {
        let open = try write("open.password", "pw", mode: 0o604)
        let text = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            password_file = "\(open)"
            """
        assertError(text, .insecurePermissions, "respaldo.toml:7: jobs[0] \"crm\": key \"password_file\":", "readable by others (mode 0604)")
        let drill = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            password_file = "\(password)"
            [jobs.drill]
            identity_file = "\(open)"
            """
        assertError(drill, .insecurePermissions, "respaldo.toml:9: jobs[0] \"crm\": key \"drill.identity_file\":")
        // File checks can be turned off (internal, for the shipped example only).
        XCTAssertNoThrow(try Config.parse(text: drill, path: "/x.toml", checkFiles: false))
    }

    func testLoadRefusesAGroupWritableConfig() throws {
        let text = Self.head + remote
        let path = try write("respaldo.toml", text, mode: 0o664)
        XCTAssertThrowsError(try Config.load(path: path)) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .insecurePermissions)
            XCTAssertEqual(
                error.description,
                "\(path): config file is writable by its group (mode 0664); only its owner may change it: run chmod go-w \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let config = try Config.load(path: path)
        XCTAssertEqual(config.path, path)
        XCTAssertEqual(config.remotes.count, 1)
    }

    func testLoadMissingOrUnparsable() throws {
        let missing = dir.appendingPathComponent("nope.toml").path
        XCTAssertThrowsError(try Config.load(path: missing)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .fileProblem)
            XCTAssertEqual("\(error)", "\(missing): config file does not exist")
        }
        XCTAssertThrowsError(try Config.load(path: dir.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .fileProblem)
            XCTAssertTrue("\(error)".contains("config file is not a regular file (it is a directory)"), "\(error)")
        }
        let broken = try write("broken.toml", Self.head + "[jobs\n", mode: 0o644)
        XCTAssertThrowsError(try Config.load(path: broken)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .syntax)
            XCTAssertTrue("\(error)".hasPrefix("\(broken):3:"), "\(error)")
        }
    }
}
