import Age
import Foundation
import XCTest

/// Bech32 key encoding and key files.
final class AgeKeyTests: XCTestCase {
    let specIdentity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
    let specRecipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"

    func testSpecExample() throws {
        let identity = try X25519Identity(specIdentity)
        XCTAssertEqual(identity.recipient.description, specRecipient)
        XCTAssertEqual(identity.string, specIdentity)
        XCTAssertEqual(try X25519Recipient(specRecipient).description, specRecipient)
    }

    func testTestKitKeys() throws {
        let identity = try X25519Identity("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0")
        XCTAssertEqual(identity.recipient.description, "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef")
    }

    func testMixedCaseIsRejected() {
        var mixed = specIdentity
        mixed.replaceSubrange(mixed.index(mixed.endIndex, offsetBy: -3)..., with: "aEx")
        XCTAssertThrowsError(try X25519Identity(mixed))
        XCTAssertThrowsError(try X25519Recipient("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwJ"))
    }

    func testWrongCaseForTheKindIsRejected() {
        // The checksum is case-insensitive, but age compares the prefix exactly.
        XCTAssertThrowsError(try X25519Identity(specIdentity.lowercased()))
        XCTAssertThrowsError(try X25519Recipient(specRecipient.uppercased()))
    }

    func testBadChecksumIsRejected() {
        var bad = Array(specRecipient)
        bad[bad.count - 1] = bad[bad.count - 1] == "j" ? "k" : "j"
        XCTAssertThrowsError(try X25519Recipient(String(bad))) { error in
            XCTAssertEqual(error as? AgeError, .invalidKey("invalid Bech32 checksum"))
        }
        var badIdentity = Array(specIdentity)
        badIdentity[30] = badIdentity[30] == "Q" ? "P" : "Q"
        XCTAssertThrowsError(try X25519Identity(String(badIdentity)))
    }

    func testWrongKindAndGarbage() {
        XCTAssertThrowsError(try X25519Recipient(specIdentity))
        XCTAssertThrowsError(try X25519Identity(specRecipient))
        XCTAssertThrowsError(try X25519Recipient(""))
        XCTAssertThrowsError(try X25519Recipient("age1"))
        XCTAssertThrowsError(try X25519Recipient("ssh-ed25519 AAAA"))
    }

    func testGeneratedKeysRoundTripThroughStrings() throws {
        let identity = X25519Identity.generate()
        let parsed = try X25519Identity(identity.string)
        XCTAssertEqual(parsed.recipient, identity.recipient)
        XCTAssertTrue(identity.string.hasPrefix("AGE-SECRET-KEY-1"))
        XCTAssertEqual(identity.string.count, 74)
        XCTAssertEqual(identity.recipient.description.count, 62)
        // Printing an identity never shows the secret.
        XCTAssertFalse("\(identity)".contains(identity.string))
        XCTAssertFalse(String(reflecting: identity).contains(identity.string))
    }

    func testKeyFileContentsParseBack() throws {
        let identity = X25519Identity.generate()
        let contents = identity.keyFileContents(created: Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertEqual(contents, "# created: 2023-11-14T22:13:20Z\n# public key: \(identity.recipient)\n\(identity.string)\n")
        let parsed = try IdentityFile.parse(contents)
        XCTAssertEqual(parsed.map(\.string), [identity.string])
    }

    func testIdentityFileRules() throws {
        let a = X25519Identity.generate(), b = X25519Identity.generate()
        let text = "# comment\r\n\r\n\(a.string)\r\n# another\n\n\(b.string)"
        XCTAssertEqual(try IdentityFile.parse(text).map(\.string), [a.string, b.string])
        XCTAssertThrowsError(try IdentityFile.parse("# nothing here\n\n"))
        XCTAssertThrowsError(try IdentityFile.parse("\(a.string)\n \(b.string)\n")) { error in
            // The line number is given, the (secret) line is not.
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
            XCTAssertFalse("\(error)".contains(b.string))
        }
        XCTAssertThrowsError(try IdentityFile.parse(a.recipient.description))
    }

    func testRecipientsFileRules() throws {
        let a = X25519Identity.generate().recipient, b = X25519Identity.generate().recipient
        XCTAssertEqual(try RecipientsFile.parse("# backup keys\n\(a)\n\n# dr host\r\n\(b)\r\n"), [a, b])
        XCTAssertThrowsError(try RecipientsFile.parse(""))
        XCTAssertThrowsError(try RecipientsFile.parse("\(a)\nnot-a-key\n")) { error in
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
        }
    }
}
