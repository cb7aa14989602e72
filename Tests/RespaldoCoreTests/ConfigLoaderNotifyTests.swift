import Foundation
import XCTest

@testable import RespaldoCore

/// `[notify]`: its values, and the URLs that make the configuration a secret.
final class ConfigLoaderNotifyTests: ConfigLoaderTestCase {
    func testEventsAreParsedOnce() throws {
        func events(_ list: String) throws -> Set<AlertStatus>? {
            try Config.parse(text: Self.head + "[notify]\nwebhook_url = \"https://h.example/x\"\n" + list, path: "/x.toml").notify?.on
        }
        XCTAssertEqual(try events(""), [.failure], "the default")
        XCTAssertEqual(try events("on = [\"success\", \"verify_failure\", \"success\"]\n"), [.success, .verifyFailure])
        XCTAssertEqual(try events("on = [\"upload_failure\"]\n"), [.uploadFailure])
        XCTAssertEqual(try events("on = []\n"), [], "pings only")
    }

    func testNotifyValues() {
        assertError(
            Self.head + "[notify]\nwebhook_url = \"https://h.example/x\"\non = [\"failure\", \"sucess\"]\n", .invalidValue,
            "respaldo.toml:5: notify: key \"on[1]\": \"sucess\" is not an event", "(did you mean \"success\"?)")
        assertError(
            Self.head + "[notify]\nwebhook_url = \"ftp://h.example/x\"\n", .invalidValue,
            "respaldo.toml:4: notify: key \"webhook_url\"")
        assertError(
            Self.head + "[notify]\nsmtp_url = \"smtps://mail.example.com\"\nmail_to = [\"a@example.com\"]\n",
            .missingKey, "respaldo.toml:3: notify: key \"mail_from\": required with smtp_url")
        assertError(
            Self.head + "[notify]\nwebhook_url = \"https://h.example/x\"\nmail_to = [\"a@example.com\"]\n",
            .invalidValue, "respaldo.toml:5: notify: key \"mail_to\": is only used with smtp_url")
        assertError(
            Self.head + "[notify]\non = [\"failure\"]\n", .missingKey,
            "respaldo.toml:3: notify: sets none of webhook_url, smtp_url, ping_url")
        let open = try? write("smtp.credentials", "user\npass\n", mode: 0o640)
        assertError(
            Self.head
                + "[notify]\nsmtp_url = \"smtp://m.example\"\nmail_from = \"r@example.com\"\nmail_to = [\"o@example.com\"]\nsmtp_credentials_file = \"\(open ?? "")\"\n",
            .insecurePermissions, "respaldo.toml:7: notify: key \"smtp_credentials_file\":",
            "SMTP credentials file is readable by its group (mode 0640)")
    }

    func testASecretURLMakesTheConfigPrivate() throws {
        let secretURLs = [
            "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXX1XXXXXXXXXXXXXXX",
            "https://hooks.example.com/respaldo?token=abc",
            "https://user:pass@hooks.example.com/respaldo",
        ]
        for url in secretURLs {
            let text = Self.head + "\n[notify]\nwebhook_url = \"\(url)\"\n"
            let path = try write("secret.toml", text, mode: 0o644)
            XCTAssertThrowsError(try Config.load(path: path), url) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .insecurePermissions)
                XCTAssertTrue(
                    error.description.hasPrefix("\(path):5: notify: key \"webhook_url\": this URL carries"),
                    error.description)
                XCTAssertTrue(error.description.contains("(mode 0644)"), error.description)
                XCTAssertTrue(error.description.contains("run chmod 600 \(path)"), error.description)
                XCTAssertTrue(error.description.hasSuffix("named by webhook_url_file, and the config can stay readable by the service's group"), error.description)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            XCTAssertEqual(try Config.load(path: path).notify?.webhookURL, url)
        }
        let ping = try write("ping.toml", Self.head + "[notify]\nping_url = \"https://hc-ping.com/0f4e5b56-9d7a-4c4b-a2b1-6a1e2f3c4d5e\"\n", mode: 0o640)
        XCTAssertThrowsError(try Config.load(path: ping)) { error in
            XCTAssertTrue("\(error)".contains("key \"ping_url\": this URL carries a token in its path"), "\(error)")
        }
        // Not a secret: a readable config is fine.
        let plain = try write("plain.toml", Self.head + "[notify]\nwebhook_url = \"https://hooks.example.com/respaldo-notifications\"\n", mode: 0o644)
        XCTAssertNoThrow(try Config.load(path: plain))
    }

    func testSecretURLRule() {
        XCTAssertNil(ConfigParser.secretInURL("https://hooks.example.com/respaldo"))
        XCTAssertNil(ConfigParser.secretInURL("https://hooks.example.com/a-very-long-path-segment-without-digits"))
        XCTAssertNil(ConfigParser.secretInURL("smtps://mail.example.com:465"))
        XCTAssertNotNil(ConfigParser.secretInURL("smtps://user:pw@mail.example.com:465"))
        XCTAssertNotNil(ConfigParser.secretInURL("https://h.example/x?key=1"))
        XCTAssertNotNil(ConfigParser.secretInURL("https://discord.com/api/webhooks/123/abcdefghij0123456789xyz"))
        XCTAssertNil(ConfigParser.secretInURL("https://h.example/short123"))
    }
}
