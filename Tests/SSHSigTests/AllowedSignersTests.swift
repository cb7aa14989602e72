import Foundation
import SSHSig
import XCTest

final class AllowedSignersTests: XCTestCase {
    private let utc = TimeZone(identifier: "UTC") ?? .current
    private let key = SSHPrivateKey.generate(comment: "").publicKey
    private let other = SSHPrivateKey.generate(comment: "").publicKey

    private func parse(_ text: String) throws -> AllowedSigners {
        try AllowedSigners(text: text, timeZone: utc)
    }

    private func date(_ iso: String) -> Date {
        ISO8601DateFormatter().date(from: iso) ?? Date.distantPast
    }

    func testEntriesCommentsAndFields() throws {
        let signers = try parse("""
            # backup servers
               # indented comment

            backup@db-1,ops@example.com \(key.line) a comment with  spaces
            "two words,x@y" namespaces="respaldo-manifest,file",valid-after="20250101",valid-before="203001011200Z" \(other.line)\r
            *@example.com\tVALID-BEFORE="20300101123456" \t\(key.line)
            """)
        XCTAssertEqual(signers.skipped, [])
        XCTAssertEqual(signers.entries.map(\.line), [4, 5, 6])
        XCTAssertEqual(signers.entries[0].principals, ["backup@db-1", "ops@example.com"])
        XCTAssertEqual(signers.entries[0].key, key)
        XCTAssertNil(signers.entries[0].namespaces)
        XCTAssertEqual(signers.entries[1].principals, ["two words", "x@y"])
        XCTAssertEqual(signers.entries[1].namespaces, ["respaldo-manifest", "file"])
        XCTAssertEqual(signers.entries[1].validAfter, date("2025-01-01T00:00:00Z"))
        XCTAssertEqual(signers.entries[1].validBefore, date("2030-01-01T12:00:00Z"))
        XCTAssertEqual(signers.entries[2].validBefore, date("2030-01-01T12:34:56Z"))
        XCTAssertEqual(signers.entries[2].principals, ["*@example.com"])
    }

    func testNamespacesRestriction() throws {
        let signers = try parse("""
            git-only namespaces="git,file" \(key.line)
            """)
        XCTAssertThrowsError(try signers.entry(for: key, namespace: "respaldo-manifest")) { error in
            XCTAssertEqual(error as? SSHSigError, .signerNotAllowed(
                fingerprint: key.fingerprint, reason: "line 1 allows namespaces \"git,file\", not \"respaldo-manifest\""))
        }
        XCTAssertEqual(try signers.entry(for: key, namespace: "file").principals, ["git-only"])

        // Patterns, and a later unrestricted line for the same key.
        let patterns = try parse("""
            a namespaces="respaldo-*,!respaldo-test" \(key.line)
            b \(other.line)
            """)
        XCTAssertEqual(try patterns.entry(for: key, namespace: "respaldo-manifest").principals, ["a"])
        XCTAssertThrowsError(try patterns.entry(for: key, namespace: "respaldo-test"))
        XCTAssertThrowsError(try patterns.entry(for: key, namespace: "respaldo"))
        let fallback = try parse("""
            a namespaces="git" \(key.line)
            b \(key.line)
            """)
        XCTAssertEqual(try fallback.entry(for: key, namespace: "respaldo-manifest").principals, ["b"])
    }

    func testValidityWindow() throws {
        let signers = try parse("""
            old valid-before="20200101" \(key.line)
            new valid-after="20300101000000Z" \(other.line)
            """)
        XCTAssertThrowsError(try signers.entry(for: key, namespace: "n", now: date("2024-06-01T00:00:00Z"))) { error in
            XCTAssertEqual(error as? SSHSigError, .signerNotAllowed(fingerprint: key.fingerprint, reason: "line 1 expired at 2020-01-01T00:00:00Z"))
        }
        XCTAssertEqual(try signers.entry(for: key, namespace: "n", now: date("2019-12-31T23:59:59Z")).principals, ["old"])
        XCTAssertEqual(try signers.entry(for: key, namespace: "n", now: date("2020-01-01T00:00:00Z")).principals, ["old"], "inclusive")
        XCTAssertThrowsError(try signers.entry(for: other, namespace: "n", now: date("2029-12-31T23:59:59Z"))) { error in
            XCTAssertEqual(error as? SSHSigError, .signerNotAllowed(fingerprint: other.fingerprint, reason: "line 2 is not valid before 2030-01-01T00:00:00Z"))
        }
        XCTAssertNoThrow(try signers.entry(for: other, namespace: "n", now: date("2030-01-01T00:00:00Z")))
        // The default `now` is the real clock: the 2020 entry has expired.
        XCTAssertThrowsError(try signers.entry(for: key, namespace: "n"))
    }

    func testTimestampsWithoutZUseTheGivenTimeZone() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin") ?? utc
        let signers = try AllowedSigners(text: "p valid-before=\"202401011200\" \(key.line)\n", timeZone: berlin)
        XCTAssertEqual(signers.entries[0].validBefore, date("2024-01-01T11:00:00Z"))
        // Summer too is read as standard time (UTC+1), as OpenSSH's mktime call does.
        let summer = try AllowedSigners(text: "p valid-before=\"202407011200\" \(key.line)\n", timeZone: berlin)
        XCTAssertEqual(summer.entries[0].validBefore, date("2024-07-01T11:00:00Z"))
        let utcSuffix = try AllowedSigners(text: "p valid-before=\"202401011200UTC\" \(key.line)\n", timeZone: berlin)
        XCTAssertEqual(utcSuffix.entries[0].validBefore, date("2024-01-01T12:00:00Z"))
    }

    func testOtherKeyTypesAndCertificateAuthoritiesAreSkipped() throws {
        let signers = try parse("""
            rsa@example.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 rsa key
            ecdsa@example.com namespaces="file" ecdsa-sha2-nistp256 AAAAE2VjZHNh
            *@example.com cert-authority \(key.line)
            ok@example.com \(key.line)
            """)
        XCTAssertEqual(signers.entries.map(\.line), [4])
        XCTAssertEqual(signers.skipped, [
            .init(line: 1, reason: "key type ssh-rsa is not supported (only ssh-ed25519)"),
            .init(line: 2, reason: "key type ecdsa-sha2-nistp256 is not supported (only ssh-ed25519)"),
            .init(line: 3, reason: "cert-authority entries (certificate signers) are not supported"),
        ])
    }

    func testMalformedLinesNameTheirNumber() throws {
        let good = "ok@example.com \(key.line)\n# comment\n\n"
        let cases: [(line: String, reason: String)] = [
            ("lonely-principal", "missing key"),
            ("p ssh-ed25519", "missing base64 key after ssh-ed25519"),
            ("p ssh-ed25519 AAAA!!", "invalid key: the key is not valid base64"),
            ("p ssh-ed25519 \(other.line.split(separator: " ")[1].dropLast(4))", ""),
            ("p valid-before=20300101 \(key.line)", "valid-before needs a value in double quotes"),
            ("p valid-before=\"2030-01-01\" \(key.line)", "invalid valid-before time \"2030-01-01\""),
            ("p valid-after=\"20230230\" \(key.line)", "invalid valid-after time \"20230230\""),
            ("p namespaces=\"a\",namespaces=\"b\" \(key.line)", "more than one namespaces option"),
            ("p no-touch-required \(key.line)", "unknown option or key type \"no-touch-required\""),
            ("p namespaces=\"a\", \(key.line)", "the options end with a comma"),
            ("p namespaces=\"a \(key.line)", "unterminated quote in the options"),
            ("p namespaces=\"a\" ssh-foo AAAA", "unknown key type \"ssh-foo\""),
            ("p namespaces=\"a\"", "missing key type after the options"),
            ("\"unterminated \(key.line)", "unterminated quote in the principals"),
            ("a,,b \(key.line)", "empty principal in \"a,,b\""),
            ("\"a b\",c \(key.line)", "expected a space after the principals"),
            ("p,\(key.line)", "unknown option or key type \"AAAAC3NzaC1lZDI1NTE5AAAAI"),
        ]
        for c in cases {
            XCTAssertThrowsError(try parse(good + c.line + "\n" + good), c.line) { error in
                guard case .malformedAllowedSigners(let line, let reason)? = error as? SSHSigError else { return XCTFail("\(c.line): \(error)") }
                XCTAssertEqual(line, 4, c.line)
                XCTAssertTrue(reason.hasPrefix(c.reason), "\(c.line): \(reason)")
            }
        }
    }

    func testLoadReadsFilesAndCapsTheirSize() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("allowed_signers", "ops@example.com \(key.line)\n")
        XCTAssertEqual(try AllowedSigners.load(path: path).entries.first?.key, key)
        guard case .unreadableFile(let missing, _)? = thrownError({ try AllowedSigners.load(path: folder.file("absent")) }) else {
            return XCTFail("missing file")
        }
        XCTAssertEqual(missing, folder.file("absent"))
        guard case .unreadableFile? = thrownError({ try AllowedSigners.load(path: folder.path) }) else { return XCTFail("directory") }
        let big = try folder.write("big", String(repeating: "#\n", count: AllowedSigners.maxFileSize / 2 + 1))
        guard case .inputTooLarge? = thrownError({ try AllowedSigners.load(path: big) }) else { return XCTFail("too large") }
        XCTAssertEqual(try AllowedSigners(text: String(repeating: "#\n", count: AllowedSigners.maxFileSize / 2)).entries, [])
    }
}
