import Age
import Foundation
import XCTest

@testable import RespaldoCore

/// `[encryption]`: recipients, a recipients file, or a passphrase file.
final class ConfigLoaderEncryptionTests: ConfigLoaderTestCase {
    func testEncryptionModes() throws {
        let passphraseText = Self.head + "[encryption]\npassphrase_file = \"\(passphrase)\"\n"
        XCTAssertEqual(
            try Config.parse(text: passphraseText, path: "/x.toml").encryption, .passphraseFile(passphrase))

        let fileOnly = Self.head + "[encryption]\nrecipients_file = \"\(recipientsFile)\"\n"
        XCTAssertEqual(
            try Config.parse(text: fileOnly, path: "/x.toml").encryption,
            .recipients(try [Self.recipientB, Self.recipientC].map(X25519Recipient.init)))

        // Duplicates between the list and the file are kept once, in order.
        let both =
            Self.head
            + "[encryption]\nrecipients = [\"\(Self.recipientC)\", \"\(Self.recipientA)\"]\nrecipients_file = \"\(recipientsFile)\"\n"
        XCTAssertEqual(
            try Config.parse(text: both, path: "/x.toml").encryption,
            .recipients(try [Self.recipientC, Self.recipientA, Self.recipientB].map(X25519Recipient.init)))
    }

    func testEncryptionErrors() throws {
        assertError(
            Self.head + "[encryption]\nrecipients = [\"\(Self.recipientA)\"]\npassphrase_file = \"\(passphrase)\"\n",
            .invalidValue, "respaldo.toml:5: encryption: key \"passphrase_file\": cannot be combined with recipients")
        assertError(
            Self.head + "[encryption]\nrecipients = [\"\(Self.recipientA)\", \"age1nope\"]\n", .invalidValue,
            "respaldo.toml:4: encryption: key \"recipients[1]\": \"age1nope\" is not a valid age X25519 recipient")
        assertError(
            Self.head + "[encryption]\nrecipients = []\n", .invalidValue,
            "respaldo.toml:4: encryption: key \"recipients\": no recipients")
        let badFile = try write("bad-recipients.txt", "# comment\nssh-ed25519 AAAA\n", mode: 0o644)
        assertError(
            Self.head + "[encryption]\nrecipients_file = \"\(badFile)\"\n", .invalidValue,
            "respaldo.toml:4: encryption: key \"recipients_file\": \(badFile)")
        let writable = try write("writable-recipients.txt", Self.recipientA + "\n", mode: 0o666)
        assertError(
            Self.head + "[encryption]\nrecipients_file = \"\(writable)\"\n", .insecurePermissions,
            "respaldo.toml:4: encryption: key \"recipients_file\": \(writable): recipients file is writable by group and others (mode 0666)",
            "chmod go-w \(writable)")
        let openPassphrase = try write("open-passphrase", "pw\n", mode: 0o644)
        assertError(
            Self.head + "[encryption]\npassphrase_file = \"\(openPassphrase)\"\n", .insecurePermissions,
            "respaldo.toml:4: encryption: key \"passphrase_file\":", "(mode 0644)", "chmod 600 \(openPassphrase)")
    }
}
