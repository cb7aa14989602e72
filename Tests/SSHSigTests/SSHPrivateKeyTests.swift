import CryptoPrimitives
import Foundation
@testable import SSHSig
import XCTest

final class SSHPrivateKeyTests: XCTestCase {
    func testLoadsSSHKeygenFile() throws {
        let key = try SSHPrivateKey(pem: Vectors.privateKeyFile)
        XCTAssertEqual(key.publicKey, try SSHPublicKey(line: Vectors.publicKeyLine))
        XCTAssertEqual(key.comment, Vectors.comment)
        XCTAssertEqual(key.publicKey.fingerprint, Vectors.fingerprint)
        let fromSeed = try SSHPrivateKey(seed: h(Vectors.seedHex), comment: Vectors.comment)
        XCTAssertEqual(fromSeed.publicKey, key.publicKey)
    }

    /// Our file differs from ssh-keygen's only in the random check integers (bytes 98–105 of
    /// this blob); everything else, layout included, is byte-for-byte the same.
    func testWritesSSHKeygenLayout() throws {
        let key = try SSHPrivateKey(seed: h(Vectors.seedHex), comment: Vectors.comment)
        let ours = try dearmor(key.pem(), label: "OPENSSH PRIVATE KEY")
        let theirs = try dearmor(Vectors.privateKeyFile, label: "OPENSSH PRIVATE KEY")
        XCTAssertEqual(ours.count, theirs.count)
        let checkints = 98..<106
        XCTAssertEqual(Array(theirs[checkints]), h("2fcc9b792fcc9b79"), "the test's offsets are right")
        XCTAssertEqual(Array(ours[..<checkints.lowerBound]), Array(theirs[..<checkints.lowerBound]))
        XCTAssertEqual(Array(ours[checkints.upperBound...]), Array(theirs[checkints.upperBound...]))
        XCTAssertEqual(Array(ours[98..<102]), Array(ours[102..<106]))

        let lines = key.pem().split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "-----BEGIN OPENSSH PRIVATE KEY-----")
        XCTAssertEqual(lines.dropLast().last, "-----END OPENSSH PRIVATE KEY-----")
        XCTAssertEqual(lines.last, "", "ends with a newline")
        XCTAssertEqual(lines.dropFirst().dropLast(2).map(\.count), [70, 70, 70, 70, 44])
    }

    func testGenerateRoundTripsAndDiffers() throws {
        let key = SSHPrivateKey.generate(comment: "respaldo@backup-1")
        let again = try SSHPrivateKey(pem: key.pem())
        XCTAssertEqual(again.publicKey, key.publicKey)
        XCTAssertEqual(again.comment, "respaldo@backup-1")
        XCTAssertNotEqual(SSHPrivateKey.generate(comment: "").publicKey, key.publicKey)
        // Padding to the block: comments of every length mod 8.
        for length in 0..<9 {
            let k = SSHPrivateKey.generate(comment: String(repeating: "c", count: length))
            XCTAssertEqual(try SSHPrivateKey(pem: k.pem()).comment.count, length)
        }
    }

    func testDescriptionsNeverShowTheSeed() throws {
        let key = try SSHPrivateKey(pem: Vectors.privateKeyFile)
        var dumped = ""
        dump(key, to: &dumped)
        let texts = [key.description, key.debugDescription, String(describing: key), String(reflecting: key), "\(key)", dumped]
        let seed = h(Vectors.seedHex)
        let secretForms = [Vectors.seedHex, Data(seed).base64EncodedString(), "\(seed)", "62, 246, 208"]
        for text in texts {
            XCTAssertTrue(text.contains(Vectors.fingerprint), text)
            for secret in secretForms { XCTAssertFalse(text.contains(secret), text) }
        }
        XCTAssertEqual(Mirror(reflecting: key).children.compactMap(\.label), ["publicKey", "comment"])
    }

    func testPassphraseProtectedFileHasClearError() throws {
        var file = try keyFileFields()
        file.cipher = "aes256-ctr"
        file.kdf = "bcrypt"
        file.kdfOptions = [0, 0, 0, 16] + [UInt8](repeating: 7, count: 16) + [0, 0, 0, 16]
        let error = thrownError { try SSHPrivateKey(pem: file.armored) }
        XCTAssertEqual(error, .encryptedPrivateKey(cipher: "aes256-ctr"))
        XCTAssertTrue(error?.description.contains("unencrypted key file protected by file mode 0600") ?? false)
    }

    func testStructuralChecks() throws {
        typealias Edit = (inout KeyFileFields) -> Void
        let cases: [(String, Edit)] = [
            ("check integers differ", { $0.checkints = (1, 2) }),
            ("two keys", { $0.count = 2 }),
            ("kdf without cipher", { $0.kdf = "bcrypt" }),
            ("outer public key of another key", { $0.outerPublic = SSHPrivateKey.generate(comment: "").publicKey.wireBlob }),
            ("inner public key of another key", { $0.innerPublic = SSHPrivateKey.generate(comment: "").publicKey.raw }),
            ("second half of the secret is another key", { $0.secret = Array($0.secret[0..<32]) + SSHPrivateKey.generate(comment: "").publicKey.raw }),
            ("short secret", { $0.secret = Array($0.secret[0..<32]) }),
            ("padding not a block multiple", { $0.padding = [1, 2, 4] }),
            ("padding of wrong values", { $0.padding = [1, 2, 3, 5] }),
            ("padding beyond a block", { $0.padding = Array(1...12) }),
            ("trailing data after the section", { $0.trailing = [0] }),
            ("bad magic", { $0.magic = Array("openssh-key-v2".utf8) + [0] }),
        ]
        for (name, edit) in cases {
            var file = try keyFileFields()
            edit(&file)
            guard case .malformedKey? = thrownError({ try SSHPrivateKey(pem: file.armored) }) else {
                XCTFail("\(name): accepted or wrong error")
                continue
            }
        }
        var rsa = try keyFileFields()
        rsa.innerType = "ssh-rsa"
        XCTAssertEqual(thrownError { try SSHPrivateKey(pem: rsa.armored) }, .unsupportedKeyType("ssh-rsa"))
        XCTAssertEqual(thrownError { try SSHPrivateKey(pem: String(repeating: "A", count: SSHPrivateKey.maxFileSize + 1)) },
                       .inputTooLarge(what: "private key file", limit: SSHPrivateKey.maxFileSize))
        XCTAssertNoThrow(try SSHPrivateKey(pem: try keyFileFields().armored), "the unedited fields are a valid file")
    }
}

/// The fields of the test vector's key file, to build damaged variants of it.
struct KeyFileFields {
    var magic = Array("openssh-key-v1".utf8) + [0]
    var cipher = "none", kdf = "none"
    var kdfOptions: [UInt8] = []
    var count: UInt32 = 1
    var outerPublic: [UInt8]
    var checkints: (UInt32, UInt32) = (0x2fcc_9b79, 0x2fcc_9b79)
    var innerType = "ssh-ed25519"
    var innerPublic: [UInt8]
    var secret: [UInt8]
    var comment = Vectors.comment
    /// Nil: the correct padding for the section's length.
    var padding: [UInt8]? = nil
    var trailing: [UInt8] = []

    var armored: String {
        var section = SSHWireWriter()
        section.uint32(checkints.0)
        section.uint32(checkints.1)
        section.string(innerType)
        section.string(innerPublic)
        section.string(secret)
        section.string(comment)
        if let padding {
            section.raw(padding)
        } else {
            var pad: UInt8 = 1
            while section.bytes.count % 8 != 0 {
                section.raw([pad])
                pad += 1
            }
        }
        var file = SSHWireWriter()
        file.raw(magic)
        file.string(cipher)
        file.string(kdf)
        file.string(kdfOptions)
        file.uint32(count)
        file.string(outerPublic)
        file.string(section.bytes)
        file.raw(trailing)
        return armor(file.bytes, label: "OPENSSH PRIVATE KEY")
    }
}

func keyFileFields() throws -> KeyFileFields {
    let publicKey = try SSHPublicKey(line: Vectors.publicKeyLine)
    return KeyFileFields(outerPublic: publicKey.wireBlob, innerPublic: publicKey.raw, secret: h(Vectors.seedHex) + publicKey.raw)
}
