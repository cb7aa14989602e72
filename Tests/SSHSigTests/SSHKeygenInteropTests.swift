import Foundation
@testable import SSHSig
import XCTest

/// Interoperability with the real ssh-keygen (OpenSSH 9.2): key files both ways, signatures
/// both ways, and the refusals on both sides.
final class SSHKeygenInteropTests: XCTestCase {
    /// A fresh folder per test, removed in `tearDown`.
    private var folders: [TemporaryFolder] = []

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") else {
            throw XCTSkip("ssh-keygen is not installed")
        }
        folders = [try TemporaryFolder()]
    }

    override func tearDown() {
        folders.forEach { $0.remove() }
        folders = []
    }

    private var folder: TemporaryFolder {
        get throws {
            guard let folder = folders.first else { throw TestFailure("setUp did not create the folder") }
            return folder
        }
    }

    private func keygen(_ arguments: [String], stdin: String = "/dev/null", environment: [String: String] = [:]) throws -> ToolRun {
        try sshKeygen(arguments, in: folder, stdin: stdin, environment: environment)
    }

    func testOurKeyFileReadsInSSHKeygen() throws {
        let key = SSHPrivateKey.generate(comment: "respaldo@backup-1")
        let path = try folder.write("key", key.pem(), mode: 0o600)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let derived = try keygen(["-y", "-f", path])
        XCTAssertEqual(derived.status, 0, derived.stderr)
        XCTAssertEqual(derived.stdout, key.publicKey.line + " respaldo@backup-1\n")

        let publicPath = try folder.write("key.pub", key.publicKey.line + "\n")
        let listed = try keygen(["-lf", publicPath])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertEqual(listed.stdout, "256 \(key.publicKey.fingerprint) no comment (ED25519)\n")
    }

    func testSSHKeygenKeyFileLoads() throws {
        let run = try keygen(["-q", "-t", "ed25519", "-N", "", "-C", "ops@example.com", "-f", folder.file("k")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let key = try SSHPrivateKey(pem: folder.read("k"))
        let publicLine = try folder.read("k.pub")
        XCTAssertEqual(key.publicKey, try SSHPublicKey(line: publicLine))
        XCTAssertEqual(key.publicKey.line + " ops@example.com\n", publicLine)
        XCTAssertEqual(key.comment, "ops@example.com")
    }

    func testPassphraseProtectedKeyGetsTheClearError() throws {
        let run = try keygen(["-q", "-t", "ed25519", "-N", "secret passphrase", "-a", "1", "-f", folder.file("k")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let error = thrownError { try SSHPrivateKey(pem: folder.read("k")) }
        XCTAssertEqual(error, .encryptedPrivateKey(cipher: "aes256-ctr"))
        XCTAssertTrue(error?.description.contains("respaldo needs an unencrypted key file protected by file mode 0600") ?? false)
    }

    func testOurSignatureVerifiesInSSHKeygenAndRefusals() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let message = Array("{\"snapshot\":\"db-20260101T010000Z\"}\n".utf8)
        let messagePath = try folder.write("manifest.json", String(decoding: message, as: UTF8.self))
        let signaturePath = try folder.write("manifest.json.sig", SSHSignature.sign(message, namespace: "respaldo-manifest", key: key))
        let allowed = try folder.write("allowed_signers", "backup@db-1 \(key.publicKey.line)\n")

        let good = try keygen(["-Y", "verify", "-f", allowed, "-I", "backup@db-1", "-n", "respaldo-manifest", "-s", signaturePath],
                              stdin: messagePath)
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stdout.contains("Good \"respaldo-manifest\" signature for backup@db-1"), good.stdout)

        let wrongNamespace = try keygen(["-Y", "verify", "-f", allowed, "-I", "backup@db-1", "-n", "file", "-s", signaturePath],
                                        stdin: messagePath)
        XCTAssertNotEqual(wrongNamespace.status, 0)
        let modified = try folder.write("modified.json", String(decoding: message, as: UTF8.self) + " ")
        let badMessage = try keygen(["-Y", "verify", "-f", allowed, "-I", "backup@db-1", "-n", "respaldo-manifest", "-s", signaturePath],
                                    stdin: modified)
        XCTAssertNotEqual(badMessage.status, 0)
    }

    func testSSHKeygenSignatureVerifiesHereAndRefusals() throws {
        let key = SSHPrivateKey.generate(comment: "backup@db-1")
        let keyPath = try folder.write("key", key.pem(), mode: 0o600)
        let message = Array("manifest body\n".utf8)
        let messagePath = try folder.write("X", String(decoding: message, as: UTF8.self))
        let run = try keygen(["-Y", "sign", "-f", keyPath, "-n", "respaldo-manifest", messagePath])
        XCTAssertEqual(run.status, 0, run.stderr)
        let armored = try folder.read("X.sig")
        XCTAssertEqual(armored, try SSHSignature.sign(message, namespace: "respaldo-manifest", key: key), "deterministic, same bytes")

        let signers = try AllowedSigners(text: "backup@db-1,ops \(key.publicKey.line)\n")
        let verified = try SSHSignature.verify(armored: armored, message: message, namespace: "respaldo-manifest", signers: signers)
        XCTAssertEqual(verified, SSHSignature.Verified(principal: "backup@db-1", key: key.publicKey))
        XCTAssertEqual(thrownError { try SSHSignature.verify(armored: armored, message: message, namespace: "file", signers: signers) },
                       .wrongNamespace(expected: "file", found: "respaldo-manifest"))
        XCTAssertEqual(thrownError { try SSHSignature.verify(armored: armored, message: message + [0x0a], namespace: "respaldo-manifest", signers: signers) },
                       .badSignature)
    }

    /// The same allowed_signers text means the same to ssh-keygen and to us for the options
    /// respaldo honours.
    func testAllowedSignersOptionsAgreeWithSSHKeygen() throws {
        let key = SSHPrivateKey.generate(comment: "")
        let message = Array("m\n".utf8)
        let messagePath = try folder.write("m", "m\n")
        let signaturePath = try folder.write("m.sig", SSHSignature.sign(message, namespace: "respaldo-manifest", key: key))
        let lines: [(options: String, accepted: Bool)] = [
            ("namespaces=\"respaldo-*\"", true),
            ("namespaces=\"git,file\"", false),
            ("namespaces=\"*,!respaldo-manifest\"", false),
            ("valid-before=\"20200101Z\"", false),
            ("valid-after=\"20200101\",valid-before=\"29990101\"", true),
            ("valid-after=\"29990101Z\"", false),
        ]
        for line in lines {
            let text = "p \(line.options) \(key.publicKey.line)\n"
            let allowed = try folder.write("allowed_signers", text)
            let theirs = try keygen(["-Y", "verify", "-f", allowed, "-I", "p", "-n", "respaldo-manifest", "-s", signaturePath], stdin: messagePath)
            XCTAssertEqual(theirs.status == 0, line.accepted, "ssh-keygen, \(line.options): \(theirs.stderr)")
            let ours = try? SSHSignature.verify(armored: folder.read("m.sig"), message: message, namespace: "respaldo-manifest",
                                                signers: AllowedSigners(text: text))
            XCTAssertEqual(ours != nil, line.accepted, "SSHSig, \(line.options)")
        }
    }

    /// A local (no `Z`) summer timestamp: both sides read it as standard time, so in
    /// Europe/Berlin "202407011200" ends at 11:00 UTC for ssh-keygen and for us.
    func testLocalTimestampsAgreeWithSSHKeygen() throws {
        guard let berlin = TimeZone(identifier: "Europe/Berlin") else { throw XCTSkip("no Europe/Berlin zone data") }
        let key = SSHPrivateKey.generate(comment: "")
        let message = Array("m\n".utf8)
        let messagePath = try folder.write("m", "m\n")
        let signaturePath = try folder.write("m.sig", SSHSignature.sign(message, namespace: "respaldo-manifest", key: key))
        let text = "p valid-before=\"202407011200\" \(key.publicKey.line)\n"
        let allowed = try folder.write("allowed_signers", text)
        let signers = try AllowedSigners(text: text, timeZone: berlin)
        for (verifyTime, accepted) in [("20240701103000Z", true), ("20240701113000Z", false)] {
            let theirs = try keygen(["-Y", "verify", "-f", allowed, "-I", "p", "-n", "respaldo-manifest", "-s", signaturePath,
                                     "-Overify-time=\(verifyTime)"], stdin: messagePath, environment: ["TZ": "Europe/Berlin"])
            XCTAssertEqual(theirs.status == 0, accepted, "ssh-keygen at \(verifyTime): \(theirs.stderr)")
            let now = try XCTUnwrap(SSHTimestamp.parse(verifyTime, timeZone: berlin))
            let ours = try? SSHSignature.verify(armored: folder.read("m.sig"), message: message, namespace: "respaldo-manifest",
                                                signers: signers, now: now)
            XCTAssertEqual(ours != nil, accepted, "SSHSig at \(verifyTime)")
        }
    }
}
