import Foundation
import Storage
import XCTest

@testable import RespaldoCore

/// `[[remotes]]`: URLs, host keys, retries, and the remotes jobs name.
final class ConfigLoaderRemoteTests: ConfigLoaderTestCase {
    func testRemoteOptionsAndPinnedHostKey() throws {
        let text = Self.head + """
            [[remotes]]
            name = "geo.mx-1"
            url = "sftp://backup@[2001:db8::1]/srv/respaldo"
            identity_file = "\(key)"
            host_key_sha256 = "SHA256:\(Self.fingerprint)"
            retries = 0
            retry_delay = 2.5

            [[remotes]]
            name = "b"
            url = "sftp://u@h/p"
            identity_file = "\(key)"
            host_key_sha256 = "\(Self.fingerprint)"
            """
        let config = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml")
        XCTAssertEqual(
            config.remotes[0],
            RemoteConfig(
                name: "geo.mx-1", endpoint: try SFTPEndpoint("sftp://backup@[2001:db8::1]/srv/respaldo"), identityFile: key,
                knownHosts: nil, hostKey: try HostKeyFingerprint(Self.fingerprint), retries: 0, retryDelay: 2.5))
        XCTAssertEqual(config.remotes[0].url, "sftp://backup@[2001:db8::1]/srv/respaldo")
        XCTAssertEqual(config.remotes[0].endpoint?.host, "2001:db8::1")
        XCTAssertEqual(config.remotes[1].hostKey?.base64, Self.fingerprint)
    }

    /// URLs the loader let through and the store then refused (an empty port, a bad or
    /// control-character escape, a password hidden in an escaped colon) or took for the
    /// server's root: one rule now, so they are refused at load, with the line.
    func testURLsTheStoreCouldNotUseAreRefusedAtLoad() {
        let cases: [(url: String, problem: String)] = [
            ("sftp://u@h:/p", "has port \"\", not a number"),
            ("sftp://u@h/%zz", "has a bad percent-encoding in its path"),
            ("sftp://u@h/%00x", "has control characters in its path"),
            ("sftp://u%3Ax@h/p", "carries a password"),
            ("sftp://u@h//", "has no path"),
            ("sftp://u@h/%2F", "has no path"),
        ]
        for (url, problem) in cases {
            assertError(
                Self.head + remote.replacingOccurrences(of: "sftp://backup@server.example.com:22/srv/respaldo", with: url),
                .invalidValue, "respaldo.toml:5: remotes[0] \"geo\": key \"url\": \"\(url)\" \(problem)")
        }
    }

    func testRemoteValues() {
        func remote(_ url: String, extra: String = "") -> String {
            Self.head + """
                [[remotes]]
                name = "geo"
                url = "\(url)"
                identity_file = "\(key)"
                known_hosts = "\(knownHosts)"
                \(extra)
                """
        }
        for bad in [
            "https://server/srv", "sftp://server.example.com/srv", "sftp://u@server.example.com",
            "sftp://u@server.example.com/", "sftp://u:pw@server.example.com/srv", "sftp://u@/srv", "not a url",
        ] {
            assertError(remote(bad), .invalidValue, "respaldo.toml:5: remotes[0] \"geo\": key \"url\": \"\(bad)\"")
        }
        assertError(remote("sftp://u@h/p", extra: "retries = -1"), .invalidValue, "respaldo.toml:8:", "key \"retries\"")
        assertError(
            remote("sftp://u@h/p", extra: "retry_delay = -0.5"), .invalidValue, "respaldo.toml:8:", "key \"retry_delay\"")
        assertError(
            remote("sftp://u@h/p", extra: "host_key_sha256 = \"\(Self.fingerprint)\""), .invalidValue,
            "respaldo.toml:8: remotes[0] \"geo\": key \"host_key_sha256\": known_hosts and host_key_sha256 are both set")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo\"\nurl = \"sftp://u@h/p\"\nidentity_file = \"\(key)\"\nhost_key_sha256 = \"SHA256:abc\"\n",
            .invalidValue, "respaldo.toml:7: remotes[0] \"geo\": key \"host_key_sha256\": \"SHA256:abc\" is not a SHA-256 host key fingerprint")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo/1\"\n", .invalidValue,
            "respaldo.toml:4: remotes[0] \"geo/1\": key \"name\": \"geo/1\" is not a valid remote name")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo\"\nurl = \"sftp://u@h/p\"\nknown_hosts = \"\(knownHosts)\"\n",
            .missingKey, "respaldo.toml:3: remotes[0] \"geo\": key \"identity_file\": required key is missing")
    }

    func testUnknownRemote() {
        let text = Self.head + remote + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            remotes = [
              "geo",
              "goe",
            ]
            """
        assertError(
            text, .unknownRemote,
            "respaldo.toml:12: jobs[0] \"crm\": key \"remotes[1]\": job \"crm\" uses unknown remote \"goe\" (defined remotes: \"geo\") (did you mean \"geo\"?)"
        )
        assertError(
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"command\"\ncommand = [\"/bin/a\"]\nremotes = [\"geo\"]\n",
            .unknownRemote, "respaldo.toml:7:", "unknown remote \"geo\" (no [[remotes]] are defined)")
        assertError(
            Self.head + remote + "[[jobs]]\nname = \"a\"\nsource = \"command\"\ncommand = [\"/bin/a\"]\nremotes = [\"geo\", \"geo\"]\n",
            .invalidValue, "respaldo.toml:12:", "key \"remotes[1]\": remote \"geo\" is listed twice")
    }
}
