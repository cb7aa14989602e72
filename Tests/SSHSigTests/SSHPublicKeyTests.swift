import Foundation
@testable import SSHSig
import XCTest

final class SSHPublicKeyTests: XCTestCase {
    func testParsesSSHKeygenLineAndFingerprint() throws {
        let key = try SSHPublicKey(line: Vectors.publicKeyLine)
        XCTAssertEqual(key.raw, h(Vectors.publicKeyHex))
        XCTAssertEqual(key.fingerprint, Vectors.fingerprint)
        XCTAssertEqual(key.line + " " + Vectors.comment, Vectors.publicKeyLine)
        XCTAssertEqual(try SSHPublicKey(line: key.line), key)
        XCTAssertEqual(try SSHPublicKey(line: "  " + key.line + "\t \n"), key)
        XCTAssertEqual(try SSHPublicKey(wireBlob: key.wireBlob), key)
        XCTAssertEqual(try SSHPublicKey(raw: key.raw), key)
        XCTAssertEqual(key.description, "ssh-ed25519 " + Vectors.fingerprint)
    }

    func testOtherKeyTypesAreNamed() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC1 user@host"
        XCTAssertEqual(thrownError { try SSHPublicKey(line: rsa) }, .unsupportedKeyType("ssh-rsa"))
        XCTAssertEqual(thrownError { try SSHPublicKey(line: "ecdsa-sha2-nistp256 AAAA") }, .unsupportedKeyType("ecdsa-sha2-nistp256"))
        // The label says ed25519 but the blob inside is another type: the blob wins.
        let disguised = "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC1"
        XCTAssertEqual(thrownError { try SSHPublicKey(line: disguised) }, .unsupportedKeyType("ssh-rsa"))
    }

    func testMalformedLinesAreRefused() throws {
        let valid = try SSHPublicKey(line: Vectors.publicKeyLine)
        var short = SSHWireWriter()
        short.string("ssh-ed25519")
        short.string(valid.raw.dropLast())
        let base64 = Vectors.publicKeyLine.split(separator: " ")[1]
        for bad in ["", "ssh-ed25519", "ssh-ed25519 !!!!", "ssh-ed25519 \(base64.dropLast(4))",
                    "ssh-ed25519 " + Data(short.bytes).base64EncodedString(),
                    "ssh-ed25519 " + Data(valid.wireBlob + [0]).base64EncodedString()] {
            guard case .malformedKey? = thrownError({ try SSHPublicKey(line: bad) }) else {
                return XCTFail("accepted or wrong error for \(bad)")
            }
        }
        XCTAssertNotNil(thrownError { try SSHPublicKey(raw: [UInt8](repeating: 1, count: 31)) })
    }
}
