import CryptoPrimitives
import Foundation
@testable import SSHSig
import XCTest

final class SSHSignatureTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func signers(_ text: String) throws -> AllowedSigners {
        try AllowedSigners(text: text, timeZone: TimeZone(identifier: "UTC") ?? .current)
    }

    private var vectorSigners: AllowedSigners {
        get throws { try signers("backup@example.com,ops@example.com \(Vectors.publicKeyLine)\n") }
    }

    /// Ed25519 is deterministic, so our signature of the vector message is ssh-keygen's, byte
    /// for byte.
    func testSignatureIsByteIdenticalToSSHKeygen() throws {
        let key = try SSHPrivateKey(pem: Vectors.privateKeyFile)
        XCTAssertEqual(try SSHSignature.sign(Vectors.message, namespace: Vectors.namespace, key: key), Vectors.signature)
    }

    func testVerifiesSSHKeygenSignature() throws {
        let verified = try SSHSignature.verify(
            armored: Vectors.signature, message: Vectors.message, namespace: Vectors.namespace, signers: vectorSigners, now: now)
        XCTAssertEqual(verified.principal, "backup@example.com")
        XCTAssertEqual(verified.key, try SSHPublicKey(line: Vectors.publicKeyLine))

        let parsed = try SSHSignature.parse(armored: Vectors.signature)
        XCTAssertEqual(parsed.namespace, Vectors.namespace)
        XCTAssertEqual(parsed.hashAlgorithm, .sha512)
        XCTAssertEqual(parsed.publicKey.fingerprint, Vectors.fingerprint)
        XCTAssertEqual(parsed.signature.count, 64)
    }

    func testTheFourFailuresAreDistinct() throws {
        let signers = try vectorSigners
        func verify(_ armored: String = Vectors.signature, message: [UInt8] = Vectors.message,
                    namespace: String = Vectors.namespace, signers: AllowedSigners = signers) -> SSHSigError? {
            thrownError { try SSHSignature.verify(armored: armored, message: message, namespace: namespace, signers: signers, now: now) }
        }
        guard case .malformedSignature? = verify(String(Vectors.signature.dropLast(40))) else { return XCTFail("malformed") }
        XCTAssertEqual(verify(namespace: "git"), .wrongNamespace(expected: "git", found: Vectors.namespace))
        XCTAssertEqual(verify(message: Array("hello!\n".utf8)), .badSignature)
        XCTAssertEqual(verify(message: []), .badSignature)
        let stranger = SSHPrivateKey.generate(comment: "")
        let strangers = try self.signers("x@example.com \(stranger.publicKey.line)\n")
        XCTAssertEqual(verify(signers: strangers),
                       .signerNotAllowed(fingerprint: Vectors.fingerprint, reason: "the key is not listed in the allowed signers"))
        let description = verify(namespace: "git")?.description ?? ""
        XCTAssertTrue(description.contains("\"git\"") && description.contains("\"respaldo-manifest\""), description)
    }

    func testSignVerifyRoundTrip() throws {
        let key = SSHPrivateKey.generate(comment: "backup@db-1")
        let signers = try self.signers("# ops\n\nbackup@db-1 namespaces=\"respaldo-*\" \(key.publicKey.line) backup@db-1\n")
        for message in [[], Array("manifest".utf8), [UInt8](repeating: 0x5a, count: 70_000)] {
            let armored = try SSHSignature.sign(message, namespace: "respaldo-manifest", key: key)
            XCTAssertEqual(try SSHSignature.verify(armored: armored, message: message, namespace: "respaldo-manifest", signers: signers, now: now).principal,
                           "backup@db-1")
            XCTAssertEqual(thrownError { try SSHSignature.verify(armored: armored, message: message + [0], namespace: "respaldo-manifest", signers: signers, now: now) },
                           .badSignature)
        }
    }

    func testSHA256SignaturesAreAccepted() throws {
        let fields = try SignatureFields(message: Vectors.message, seed: h(Vectors.seedHex), hashAlgorithm: "sha256")
        XCTAssertEqual(try SSHSignature.parse(armored: fields.armored).hashAlgorithm, .sha256)
        XCTAssertEqual(try SSHSignature.verify(armored: fields.armored, message: Vectors.message, namespace: Vectors.namespace,
                                               signers: vectorSigners, now: now).principal, "backup@example.com")
        // Claiming sha512 over a sha256 signature changes the signed data.
        var relabelled = fields
        relabelled.hashAlgorithm = "sha512"
        XCTAssertEqual(thrownError { try SSHSignature.verify(armored: relabelled.armored, message: Vectors.message, namespace: Vectors.namespace,
                                                             signers: vectorSigners, now: now) }, .badSignature)
    }

    func testParseRefusals() throws {
        let valid = try SignatureFields(message: Vectors.message, seed: h(Vectors.seedHex))
        XCTAssertNoThrow(try SSHSignature.parse(armored: valid.armored), "the unedited fields are valid")
        func parse(_ edit: (inout SignatureFields) -> Void) -> SSHSigError? {
            var fields = valid
            edit(&fields)
            return thrownError { try SSHSignature.parse(armored: fields.armored) }
        }
        XCTAssertEqual(parse { $0.version = 2 }, .unsupportedSignatureVersion(2))
        XCTAssertEqual(parse { $0.version = 0 }, .unsupportedSignatureVersion(0))
        XCTAssertEqual(parse { $0.hashAlgorithm = "sha1" }, .unsupportedHashAlgorithm("sha1"))
        XCTAssertEqual(parse { $0.signatureType = "rsa-sha2-512" }, .unsupportedSignatureType("rsa-sha2-512"))
        XCTAssertEqual(parse { $0.publicKey = rsaKeyBlob() }, .unsupportedKeyType("ssh-rsa"))
        guard case .malformedSignature? = parse({ $0.trailing = [0] }) else { return XCTFail("trailing garbage") }
        guard case .malformedSignature? = parse({ $0.magic = Array("SSHSIH".utf8) }) else { return XCTFail("magic") }
        guard case .malformedSignature? = parse({ $0.signature.removeLast() }) else { return XCTFail("short signature") }
        guard case .malformedSignature? = parse({ $0.namespace = "a\u{0}b" }) else { return XCTFail("NUL in namespace") }
        guard case .malformedSignature? = parse({ $0.publicKey.removeLast() }) else { return XCTFail("short key") }
        XCTAssertEqual(thrownError { try SSHSignature.parse(armored: String(repeating: "A", count: SSHSignature.maxArmoredSize + 1)) },
                       .inputTooLarge(what: "SSH signature", limit: SSHSignature.maxArmoredSize))
        // A non-empty reserved field is ignored, as PROTOCOL.sshsig asks.
        XCTAssertEqual(try SSHSignature.verify(armored: valid.armored, message: Vectors.message, namespace: Vectors.namespace,
                                               signers: vectorSigners, now: now).principal, "backup@example.com")
        var reserved = valid
        reserved.reserved = [1, 2, 3]
        XCTAssertNoThrow(try SSHSignature.verify(armored: reserved.armored, message: Vectors.message, namespace: Vectors.namespace,
                                                 signers: vectorSigners, now: now))
    }

    func testSignRefusesBadNamespaces() throws {
        let key = SSHPrivateKey.generate(comment: "")
        XCTAssertEqual(thrownError { try SSHSignature.sign([1], namespace: "", key: key) }, .invalidNamespace("empty"))
        guard case .invalidNamespace? = thrownError({ try SSHSignature.sign([1], namespace: "a\u{0}b", key: key) }) else { return XCTFail() }
        guard case .invalidNamespace? = thrownError({ try SSHSignature.sign([1], namespace: String(repeating: "n", count: 257), key: key) }) else {
            return XCTFail()
        }
    }
}

/// A syntactically valid ssh-rsa public key blob (e = 65537, a small fake modulus).
func rsaKeyBlob() -> [UInt8] {
    var writer = SSHWireWriter()
    writer.string("ssh-rsa")
    writer.string([1, 0, 1])
    writer.string([0] + [UInt8](repeating: 0xc5, count: 128))
    return writer.bytes
}
