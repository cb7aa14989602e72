import Age
import Foundation
import XCTest

/// Interoperability with Debian's `age` CLI (the "restore with standard tools" promise).
/// The CLI is required: a missing `age` fails these tests rather than skipping them.
final class AgeInteropTests: XCTestCase {
    static let age = "/usr/bin/age"
    static let ageKeygen = "/usr/bin/age-keygen"
    static let script = "/usr/bin/script"
    static let sizes = [0, 1, 65535, 65536, 65537, 5 * 1024 * 1024]

    override func setUpWithError() throws {
        try Tools.require(AgeInteropTests.age, package: "age")
        try Tools.require(AgeInteropTests.ageKeygen, package: "age")
    }

    func testOurEncryptionDecryptsWithAgeCLI() throws {
        let dir = try makeTemporaryDirectory(self)
        let keygen = try Tools.run(AgeInteropTests.ageKeygen, ["-o", "key.txt"], in: dir)
        XCTAssertEqual(keygen.status, 0, keygen.stderr)
        // age-keygen prints "Public key: age1…" on stderr when writing to a file.
        let keyFile = try String(contentsOf: dir.appendingPathComponent("key.txt"), encoding: .utf8)
        let identities = try IdentityFile.parse(keyFile)
        XCTAssertEqual(identities.count, 1)
        XCTAssertTrue(keygen.stderr.contains(identities[0].recipient.description))
        let recipient = try X25519Recipient(identities[0].recipient.description)

        for size in AgeInteropTests.sizes {
            for armored in [false, true] {
                let plaintext = testBytes(size, seed: UInt64(size) + 5)
                try writeBytes(try encrypt(plaintext, to: [recipient], piece: 100_000, armored: armored),
                               to: dir.appendingPathComponent("ours.age"))
                // To stdout: with -o, age creates no file at all for an empty plaintext.
                let run = try Tools.run(AgeInteropTests.age, ["-d", "-i", "key.txt", "ours.age"], in: dir)
                XCTAssertEqual(run.status, 0, "size \(size) armored \(armored): age -d failed: \(run.stderr)")
                XCTAssertTrue(run.stdout == plaintext, "size \(size) armored \(armored): age -d output differs")
            }
        }
    }

    func testAgeCLIEncryptionDecryptsWithUs() throws {
        let dir = try makeTemporaryDirectory(self)
        let identity = X25519Identity.generate()
        try identity.keyFileContents(created: Date()).write(to: dir.appendingPathComponent("ours.key"), atomically: true, encoding: .utf8)
        let identities = try IdentityFile.parse(try String(contentsOf: dir.appendingPathComponent("ours.key"), encoding: .utf8))

        for size in AgeInteropTests.sizes {
            let plaintext = testBytes(size, seed: UInt64(size) + 9)
            try writeBytes(plaintext, to: dir.appendingPathComponent("plain.in"))
            for armored in [false, true] {
                let arguments = ["-r", identity.recipient.description] + (armored ? ["-a"] : []) + ["-o", "theirs.age", "plain.in"]
                let run = try Tools.run(AgeInteropTests.age, arguments, in: dir)
                XCTAssertEqual(run.status, 0, "age -r failed: \(run.stderr)")
                let file = try readBytes(dir.appendingPathComponent("theirs.age"))
                for piece in [0, 1000] {
                    let result = decrypt(file, with: identities, piece: piece)
                    XCTAssertNil(result.error, "size \(size) armored \(armored): \(String(describing: result.error))")
                    XCTAssertTrue(result.plaintext == plaintext, "size \(size) armored \(armored): plaintext differs")
                }
            }
        }
    }

    /// `age -p` and age's passphrase prompt read from the terminal, never from stdin, so
    /// util-linux `script` runs age on a pseudo-terminal and we type the passphrase into it.
    func testScryptBothDirectionsThroughAPseudoTerminal() throws {
        try Tools.require(AgeInteropTests.script, package: "util-linux")
        let dir = try makeTemporaryDirectory(self)
        let passphrase = "interop passphrase 42"
        let plaintext = testBytes(65537, seed: 11)
        try writeBytes(plaintext, to: dir.appendingPathComponent("plain.in"))

        // age -p (work factor 18) → us.
        let encrypted = try Tools.run(AgeInteropTests.script, ["-qec", "\(AgeInteropTests.age) -p -o theirs.age plain.in", "/dev/null"],
                                      stdinText: "\(passphrase)\n\(passphrase)\n", in: dir)
        XCTAssertEqual(encrypted.status, 0, "age -p failed: \(encrypted.stderr)")
        let theirs = try readBytes(dir.appendingPathComponent("theirs.age"))
        XCTAssertTrue(String(decoding: theirs.prefix(64), as: UTF8.self).contains("-> scrypt "))
        let result = decrypt(theirs, with: [ScryptIdentity(passphrase: Array(passphrase.utf8))], piece: 4096)
        XCTAssertNil(result.error, "\(String(describing: result.error))")
        XCTAssertTrue(result.plaintext == plaintext)

        // us (work factor 10) → age -d.
        try writeBytes(try encrypt(plaintext, to: [ScryptRecipient(passphrase: Array(passphrase.utf8), workFactor: 10)]),
                       to: dir.appendingPathComponent("ours.age"))
        let decrypted = try Tools.run(AgeInteropTests.script, ["-qec", "\(AgeInteropTests.age) -d -o plain.out ours.age", "/dev/null"],
                                      stdinText: "\(passphrase)\n", in: dir)
        XCTAssertEqual(decrypted.status, 0, "age -d failed: \(decrypted.stderr)")
        XCTAssertTrue(try readBytes(dir.appendingPathComponent("plain.out")) == plaintext)
    }
}
