import XCTest

@testable import Storage

/// SFTPEndpoint, the one rule for a remote's URL (the configuration refuses at load what it
/// refuses), on vectors: what each URL means, or the message that refuses it.
final class SFTPEndpointTests: XCTestCase {
    func testAccepted() throws {
        let cases: [(url: String, user: String, host: String, port: Int, directory: String)] = [
            ("sftp://backup@server.example.com:22/srv/respaldo", "backup", "server.example.com", 22, "/srv/respaldo"),
            ("SFTP://u@h/p/", "u", "h", 22, "/p"),
            ("sftp://backup@[2001:db8::1]/srv/respaldo", "backup", "2001:db8::1", 22, "/srv/respaldo"),
            ("sftp://u@[::1]:2222/p", "u", "::1", 2222, "/p"),
            ("sftp://u@127.0.0.1:65535/p", "u", "127.0.0.1", 65535, "/p"),
            ("sftp://%75ser@h/a%20b", "user", "h", 22, "/a b"),
            ("sftp://u@h/a b", "u", "h", 22, "/a b"),
            ("sftp://u@h/~/backups", "u", "h", 22, "/~/backups"),
            ("sftp://a@b@h/p", "a@b", "h", 22, "/p"),
            ("sftp://u@h/p%2Fq", "u", "h", 22, "/p/q"),
            ("sftp://u@h/ä", "u", "h", 22, "/ä"),
            ("sftp://u@backup_host.example./p", "u", "backup_host.example.", 22, "/p"),
        ]
        for (url, user, host, port, directory) in cases {
            let endpoint = try SFTPEndpoint(url)
            XCTAssertEqual(endpoint.user, user, url)
            XCTAssertEqual(endpoint.host, host, url)
            XCTAssertEqual(endpoint.port, port, url)
            XCTAssertEqual(endpoint.directory, directory, url)
            XCTAssertEqual(endpoint.description, url)
        }
    }

    func testRefused() {
        let usage = "expected sftp://user@host[:port]/path"
        let cases: [(url: String, problem: String)] = [
            ("https://server/srv", "is not an sftp:// URL; \(usage)"),
            ("not a url", "is not an sftp:// URL; \(usage)"),
            ("sftp:/u@h/p", "is not an sftp:// URL; \(usage)"),
            ("sftp://server.example.com/srv", "has no user; \(usage)"),
            ("sftp://@h/p", "has no user; \(usage)"),
            ("sftp://u:pw@server.example.com/srv", "carries a password: authentication is by identity_file only"),
            ("sftp://u:@h/p", "carries a password: authentication is by identity_file only"),
            ("sftp://u%3Ax@h/p", "carries a password: authentication is by identity_file only"),
            ("sftp://u@/srv", "has no host; \(usage)"),
            ("sftp://u@::1/p", "has no host; \(usage)"),
            ("sftp://u@server.example.com", "has no path; \(usage) (the remote directory)"),
            ("sftp://u@server.example.com/", "has no path; \(usage) (the remote directory)"),
            ("sftp://u@h:22/", "has no path; \(usage) (the remote directory)"),
            ("sftp://u@h//", "has no path; \(usage) (the remote directory)"),
            ("sftp://u@h/%2F", "has no path; \(usage) (the remote directory)"),
            ("sftp://u@h/p?x=1", "has a query or fragment; \(usage)"),
            ("sftp://u@h/p#f", "has a query or fragment; \(usage)"),
            ("sftp://u@h:0/p", "has port 0, out of 1-65535"),
            ("sftp://u@h:65536/p", "has port 65536, out of 1-65535"),
            ("sftp://u@h:99999999999999999999/p", "has port 99999999999999999999, out of 1-65535"),
            ("sftp://u@h:/p", "has port \"\", not a number; \(usage)"),
            ("sftp://u@h:+22/p", "has port \"+22\", not a number; \(usage)"),
            ("sftp://u@h:22x/p", "has port \"22x\", not a number; \(usage)"),
            ("sftp://u@ho st/p", "has host \"ho st\", which is not a host name or address"),
            ("sftp://u@h%2Fx/p", "has host \"h%2Fx\", which is not a host name or address"),
            ("sftp://u@[::1/p", "has an unclosed [ in its host"),
            ("sftp://u@[::1]x/p", "has \"x\" after its host, where only :port may come; \(usage)"),
            ("sftp://u@[v1.x]/p", "has host [v1.x], which is not an IPv6 address"),
            ("sftp://u@h/%00x", "has control characters in its path"),
            ("sftp://u@h/p\t", "has control characters in its path"),
            ("sftp://u%0A@h/p", "has control characters in its user"),
            ("sftp://u@h/%zz", "has a bad percent-encoding in its path (% and two hex digits)"),
            ("sftp://u@h/%C3", "has a path that is not UTF-8 once percent-decoded"),
        ]
        for (url, problem) in cases {
            XCTAssertThrowsError(try SFTPEndpoint(url), url) { error in
                XCTAssertEqual("\(error)", "\"\(url)\" \(problem)")
            }
        }
    }

    /// The spellings libcurl is given: percent-encoded URLs, quoted QUOTE arguments, and the
    /// host as messages and known_hosts name it.
    func testSpellings() throws {
        let endpoint = try SFTPEndpoint("sftp://u@h:2222/srv/a%20b/")
        XCTAssertEqual(endpoint.path(""), "/srv/a b")
        XCTAssertEqual(endpoint.path("job/x"), "/srv/a b/job/x")
        XCTAssertEqual(endpoint.url("job/x y"), "sftp://u@h:2222/srv/a%20b/job/x%20y")
        XCTAssertEqual(endpoint.folderURL(""), "sftp://u@h:2222/srv/a%20b/")
        XCTAssertEqual(endpoint.quoted("j\"x\\y"), #""/srv/a b/j\"x\\y""#)
        XCTAssertEqual(endpoint.display, "h:2222")
        XCTAssertEqual(endpoint.knownHostsName, "[h]:2222")
        let v6 = try SFTPEndpoint("sftp://u@[::1]/~/r")
        XCTAssertEqual(v6.display, "[::1]:22")
        XCTAssertEqual(v6.knownHostsName, "::1")
        XCTAssertEqual(v6.url("a"), "sftp://u@[::1]/~/r/a")
    }
}
