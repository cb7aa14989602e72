import Foundation
import XCTest

/// Messages an operator meets when something is off, through the binary: `max_shrink` in
/// human units with `--accept-shrink` for an intended shrink, a wrong identity named by the
/// fingerprint the snapshot needs, and an SSH key handed over as an age identity.
final class OperatorMessagesTests: XCTestCase {
    func testMaxShrinkSpeaksHumanUnitsAndAcceptShrinkLetsOneIntendedShrinkThrough() throws {
        let ws = try Workspace.make(for: self, "shrink")
        let source = ws.path("dump.bin")
        try Subprocess.checked(["sh", "-c", "head -c 2097152 /dev/zero > \(shellQuote(source))"])
        try ws.writeConfig(Workspace.commandJob("crm", ["cat", source], extra: "max_shrink = 0.5"))
        let big = try ws.backup("crm")
        try Files.write(source, String(repeating: "x", count: 100_000))

        let refused = try ws.respaldo("backup", "crm")
        assertExit(refused, 1, "a dump under half the previous one")
        XCTAssertTrue(refused.stderrText.contains("97.7 KiB") && refused.stderrText.contains("2.0 MiB"), "sizes in human units\n\(refused.summary)")
        XCTAssertTrue(refused.stderrText.contains(big), "the previous snapshot is named\n\(refused.summary)")
        XCTAssertTrue(refused.stderrText.contains("respaldo backup crm --accept-shrink"), "the way through is named\n\(refused.summary)")
        XCTAssertEqual(ws.snapshotIDs("crm"), [big])

        let accepted = try ws.respaldo("backup", "crm", "--accept-shrink")
        assertExit(accepted, 0, "--accept-shrink")
        XCTAssertTrue(accepted.stderrText.contains("accepted (--accept-shrink)"), accepted.summary)
        XCTAssertEqual(ws.snapshotIDs("crm").count, 2)
        // The next run compares with the smaller dump: no flag needed.
        _ = try ws.backup("crm")
    }

    func testAWrongIdentityNamesTheFingerprintTheSnapshotNeeds() throws {
        let ws = try Workspace.make(for: self, "wrong-key")
        let right = try AgeKey.generate(ws.path("right.txt"))
        let wrong = try AgeKey.generate(ws.path("wrong.txt"))
        try ws.writeConfig(recipients: [right.recipient], Workspace.commandJob("crm", ["echo", "data"]))
        let id = try ws.backup("crm")
        let needed = fingerprint(right.recipient)
        let held = fingerprint(wrong.recipient)
        XCTAssertEqual((try ws.manifest("crm", id)["artifact"] as? [String: Any])?["recipient_fingerprints"] as? [String], [needed])

        for args in [["restore", id, "--identity", wrong.identityPath, "--output", ws.path("out.sql")],
                     ["verify", id, "--identity", wrong.identityPath],
                     ["drill", "crm", "--identity", wrong.identityPath]] {
            let r = try ws.respaldo(args[0], Array(args.dropFirst()))
            assertExit(r, 1, "\(args[0]) with the wrong identity")
            XCTAssertTrue(r.output.contains("encrypted to \(needed)") && r.output.contains(held) && r.output.contains(wrong.recipient),
                          "\(args[0]): names what the snapshot needs and what was given\n\(r.summary)")
        }
        XCTAssertFalse(Files.exists(ws.path("out.sql")))
    }

    func testAnSSHKeyGivenAsAnAgeIdentityIsRecognised() throws {
        let ws = try Workspace.make(for: self, "ssh-identity")
        let key = try AgeKey.generate(ws.path("key.txt"))
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("crm", ["echo", "data"]))
        let id = try ws.backup("crm")
        let sshKey = ws.path("id_ed25519")
        try Subprocess.checked(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", sshKey])
        let r = try ws.respaldo("restore", id, "--identity", sshKey, "--stdout")
        assertExit(r, 2, "an SSH key is no age identity")
        XCTAssertTrue(r.stderrText.contains("\(sshKey) is an OpenSSH private key, not an age identity"), r.summary)
        XCTAssertFalse(r.stderrText.contains("Bech32"), "not a Bech32 parse error\n\(r.summary)")
        let pub = try ws.respaldo("restore", id, "--identity", sshKey + ".pub", "--stdout")
        XCTAssertTrue(pub.stderrText.contains("is an SSH public key"), pub.summary)
    }

    /// `SHA256:` and the unpadded base64 of SHA-256 of the `age1…` text, computed with openssl.
    private func fingerprint(_ recipient: String) -> String {
        let r = try? Subprocess.run(["sh", "-c", "printf %s \"$1\" | openssl dgst -sha256 -binary | base64 | tr -d '=\\n'", "_", recipient])
        return "SHA256:" + (r?.stdoutText ?? "")
    }
}

extension Workspace {
    func respaldo(_ command: String, _ args: [String], timeout: TimeInterval = 180) throws -> ProcessResult {
        try Subprocess.run(Respaldo.argv(command, config: configPath, args), environment: Respaldo.environment(home: root), timeout: timeout)
    }
}
