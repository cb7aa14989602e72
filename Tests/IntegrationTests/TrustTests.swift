import Foundation
import XCTest

/// Signed, chained snapshots and signed inventories (issue: trust under compromise), through the
/// binary: stock `ssh-keygen -Y` agrees with respaldo's signatures both ways, and every attack
/// a compromised remote (or a local attacker) can make is refused by list, verify, restore and
/// drill on a `[trust]` host, with "signature" or "tamper" and the snapshot's name.
final class TrustTests: XCTestCase {
    func testSignaturesInteroperateWithStockSSHKeygenAndCleanCopiesPass() throws {
        let t = try TrustSetup.make(for: self, "trust-ok")
        let first = try t.ws.backup("db")
        let second = try t.ws.backup("db")

        // Every signature respaldo wrote, locally and remotely, verifies with stock OpenSSH.
        var checked = 0
        for folder in [t.ws.jobDir("db"), t.remote.remoteJobDir("geo")] {
            for name in Files.list(folder) where name.hasSuffix(".sig") {
                let signed = folder + "/" + String(name.dropLast(4))
                let namespace = name.hasPrefix("inventory-") ? "respaldo-inventory" : "respaldo-manifest"
                let r = try t.stockVerify(signed, namespace: namespace)
                assertExit(r, 0, "ssh-keygen -Y verify of \(signed)")
                XCTAssertTrue(r.output.contains("Good \"\(namespace)\" signature for \(TrustSetup.principal)"), r.summary)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 6, "two manifests and one inventory in each location")

        // The chain: the second manifest follows the first, by id and exact bytes.
        let manifest = try t.ws.manifest("db", second)
        XCTAssertEqual(manifest["format"] as? String, "respaldo-manifest/2")
        XCTAssertEqual(manifest["sequence"] as? Int, 2)
        let previous = try XCTUnwrap(manifest["previous"] as? [String: Any])
        XCTAssertEqual(previous["id"] as? String, first)
        XCTAssertEqual(previous["manifest_sha256"] as? String, try Files.sha256(t.ws.manifestPath("db", first)))
        let artifact = try XCTUnwrap(manifest["artifact"] as? [String: Any])
        XCTAssertNil(artifact["recipients"], "the recipient itself is never published")
        XCTAssertEqual((artifact["recipient_fingerprints"] as? [String])?.count, 1)
        XCTAssertFalse(String(decoding: try Files.read(t.ws.manifestPath("db", second)), as: UTF8.self).contains(t.remote.key.recipient))

        // A signature made by stock ssh-keygen with the same key verifies in respaldo.
        try t.signWithSSHKeygen(t.remotePath("\(second).manifest.json"))
        for r in [try t.dr("verify", "--all", "--remote", "geo", "--identity", t.remote.key.identityPath),
                  try t.dr("list", "--remote", "geo"),
                  try t.dr("drill", "db", "--remote", "geo"),
                  try t.dr("restore", second, "--remote", "geo", "--output", t.ws.path("restored.bin"), "--identity", t.remote.key.identityPath)] {
            assertExit(r, 0, "a clean, signed remote passes on the DR host")
            XCTAssertFalse(r.stderrText.contains("not authenticated"), r.summary)
        }
        try assertSameBytes(t.ws.path("restored.bin"), t.ws.path("original.bin"))
        let local = try t.ws.respaldo("verify", "--all")
        assertExit(local, 0, "the server's own [trust] accepts its local folder")
    }

    func testWithoutTrustEveryReadSaysOnceThatNothingIsAuthenticated() throws {
        let t = try TrustSetup.make(for: self, "trust-none")
        _ = try t.ws.backup("db")
        let text = try String(contentsOfFile: t.drConfig, encoding: .utf8)
        try Files.write(t.drConfig, text.replacingOccurrences(of: "[trust]", with: "[unused_trust]").components(separatedBy: "[unused_trust]")[0]
                        + "\n" + t.remote.remote("geo") + "\n" + t.jobTables(["db"], source: "/nonexistent", drill: true), mode: 0o600)
        let r = try t.dr("verify", "--all", "--remote", "geo")
        assertExit(r, 0, "without [trust] verify works as before")
        XCTAssertEqual(r.stderrText.components(separatedBy: "not authenticated").count - 1, 1, "said exactly once: \(r.summary)")
    }

    func testForgedSnapshotIsRefused() throws {
        let t = try TrustSetup.make(for: self, "trust-forge")
        let genuine = try t.ws.backup("db")
        // The remote knows the recipient's fingerprint only; a forger encrypts to a key of its own.
        let forgedID = "db-20261231T000000Z"
        let evil = t.ws.path("evil.sql")
        try Files.write(evil, "DROP TABLE customers;\n")
        let forgerKey = try AgeKey.generate(t.ws.path("forger.txt"))
        let artifact = t.remotePath("\(forgedID).dump.gz.age")
        try Subprocess.checked(["bash", "-c", "gzip -c \"$1\" | age -r \"$2\" > \"$3\"", "_", evil, forgerKey.recipient, artifact])
        let manifest = t.remotePath("\(forgedID).manifest.json")
        try FileManager.default.copyItem(atPath: t.remotePath("\(genuine).manifest.json"), toPath: manifest)
        try t.editJSON(manifest) { m in
            m["id"] = forgedID
            var a = m["artifact"] as? [String: Any] ?? [:]
            a["name"] = "\(forgedID).dump.gz.age"
            a["bytes"] = (try? Files.size(artifact)) ?? 0
            a["sha256"] = (try? Files.sha256(artifact)) ?? ""
            m["artifact"] = a
        }
        // Without a signature, and then with the genuine snapshot's signature beside it.
        try t.assertRefused("signature", naming: forgedID, restoreID: forgedID)
        try FileManager.default.copyItem(atPath: t.remotePath("\(genuine).manifest.json.sig"), toPath: manifest + ".sig")
        try t.assertRefused("signature", naming: forgedID, restoreID: forgedID)
    }

    func testReplayUnderANewIDAndADuplicatedIDAreRefused() throws {
        let t = try TrustSetup.make(for: self, "trust-replay")
        let old = try t.ws.backup("db")
        _ = try t.ws.backup("db")
        let replayed = "db-20300101T000000Z"
        for suffix in [".dump.gz.age", ".manifest.json", ".manifest.json.sig"] {
            try FileManager.default.copyItem(atPath: t.remotePath(old + suffix), toPath: t.remotePath(replayed + suffix))
        }
        try t.assertRefused("tamper", naming: replayed, restoreID: replayed)
        XCTAssertTrue(try t.dr("verify", "--all", "--remote", "geo").output.contains("replayed"))
    }

    func testDowngradeToUnencryptedIsRefused() throws {
        // A backup server whose config lost [encryption] signs plain snapshots: the DR host,
        // whose config encrypts, refuses them as a downgrade.
        let t = try TrustSetup.make(for: self, "trust-downgrade", serverEncrypts: false)
        let id = try t.ws.backup("db")
        try t.assertRefused("downgrade", naming: id, restoreID: id)
        XCTAssertTrue(try t.dr("verify", "--all", "--remote", "geo").output.contains("tamper"))
    }

    func testFutureDateIsRefusedEvenWhenSigned() throws {
        let t = try TrustSetup.make(for: self, "trust-future")
        let id = try t.ws.backup("db")
        let manifest = t.remotePath("\(id).manifest.json")
        try t.editJSON(manifest) { $0["finished_at"] = "2099-01-01T00:00:00Z" }
        try t.signWithSSHKeygen(manifest)
        try t.assertRefused("in the future", naming: id, restoreID: id)
    }

    func testDeletedRetainedSnapshotIsFound() throws {
        let t = try TrustSetup.make(for: self, "trust-delete")
        let first = try t.ws.backup("db")
        _ = try t.ws.backup("db")
        for suffix in [".dump.gz.age", ".manifest.json", ".manifest.json.sig"] {
            try FileManager.default.removeItem(atPath: t.remotePath(first + suffix))
        }
        try t.assertRefused("missing", naming: first)
    }

    func testHiddenNewestSnapshotsWithAnOldInventoryPutBackAreFound() throws {
        let t = try TrustSetup.make(for: self, "trust-rollback")
        _ = try t.ws.backup("db")
        let saved = Files.list(t.remote.remoteJobDir("geo")).filter { $0.hasPrefix("inventory-") }
        XCTAssertEqual(saved.count, 2, "one inventory and its signature: \(saved)")
        let keep = t.ws.path("saved-inventory")
        try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: false)
        for name in saved { try FileManager.default.copyItem(atPath: t.remotePath(name), toPath: keep + "/" + name) }
        let newest = try t.ws.backup("db")
        assertExit(try t.dr("verify", "--all", "--remote", "geo"), 0, "the DR host sees the newest inventory once")

        // The remote hides the newest snapshot and puts the old inventory back.
        for name in Files.list(t.remote.remoteJobDir("geo")) where name.hasPrefix(newest) || name.hasPrefix("inventory-") {
            try FileManager.default.removeItem(atPath: t.remotePath(name))
        }
        for name in saved { try FileManager.default.copyItem(atPath: keep + "/" + name, toPath: t.remotePath(name)) }
        try t.assertRefused("old inventory was put back", naming: "job db")
    }

    /// A name planted at the top of the sequence neither exhausts it nor is written onto: the
    /// server's next inventory takes the next sequence after its own signed one.
    func testPlantedTopInventoryDoesNotExhaustTheSequence() throws {
        let t = try TrustSetup.make(for: self, "trust-topseq")
        _ = try t.ws.backup("db")
        let before = Files.list(t.remote.remoteJobDir("geo")).filter { $0.hasPrefix("inventory-") && $0.hasSuffix(".json") }
        try Files.write(t.remotePath("inventory-999999999999.json"), "{}")
        try Files.write(t.remotePath("inventory-999999999999.json.sig"), "junk")
        _ = try t.ws.backup("db")
        let after = Files.list(t.remote.remoteJobDir("geo")).filter { $0.hasPrefix("inventory-") && $0.hasSuffix(".json") }
        let ours = after.filter { $0 != "inventory-999999999999.json" && !before.contains($0) }
        XCTAssertEqual(ours.count, 1, "one new inventory of 12 digits: \(after)")
        XCTAssertTrue(ours.allSatisfy { $0.count == "inventory-000000000000.json".count }, "\(after)")
        let r = try t.dr("verify", "--all", "--remote", "geo")
        XCTAssertTrue(r.output.contains("signature check failed for job db at geo: inventory"), "the planted one is reported: \(r.summary)")
    }

    func testManifestSwappedBetweenJobsIsRefused() throws {
        let t = try TrustSetup.make(for: self, "trust-swap", jobs: ["db", "web"])
        let db = try t.ws.backup("db")
        _ = try t.ws.backup("web")
        let swapped = "web-20300101T000000Z"
        for suffix in [".dump.gz.age", ".manifest.json", ".manifest.json.sig"] {
            try FileManager.default.copyItem(atPath: t.remotePath(db + suffix), toPath: t.remotePath(swapped + suffix, job: "web"))
        }
        let r = try t.dr("verify", "--all", "--remote", "geo")
        assertExit(r, 1, "a manifest of job db under job web")
        XCTAssertTrue(r.output.contains("tamper") && r.output.contains(swapped) && r.output.contains("of job db"), r.summary)
        let restore = try t.dr("restore", swapped, "--remote", "geo", "--identity", t.remote.key.identityPath, "--output", t.ws.path("x"))
        assertExit(restore, 1, "restore of the swapped manifest")
        XCTAssertTrue(restore.output.contains("tamper"), restore.summary)
    }

    func testLocalTamperingIsCaughtTheSameWay() throws {
        let t = try TrustSetup.make(for: self, "trust-local")
        let id = try t.ws.backup("db")
        try t.editJSON(t.ws.manifestPath("db", id)) { $0["host"] = "elsewhere" }
        let r = try t.ws.respaldo("verify", "--all")
        assertExit(r, 1, "a local manifest edited after signing")
        XCTAssertTrue(r.output.contains("signature") && r.output.contains(id), r.summary)
        let restore = try t.ws.respaldo("restore", id, "--identity", t.remote.key.identityPath, "--output", t.ws.path("x"))
        assertExit(restore, 1, "restore of a tampered local snapshot")
        XCTAssertTrue(restore.output.contains("signature"), restore.summary)
    }

    func testVersion1ManifestsStayReadableAndAreReportedUnsigned() throws {
        let t = try TrustSetup.make(for: self, "trust-v1")
        let id = try t.ws.backup("db")
        // What 0.1 wrote: format 1, the recipients themselves, no chain, no signature.
        let manifest = t.remotePath("\(id).manifest.json")
        try t.editJSON(manifest) { m in
            m["format"] = "respaldo-manifest/1"
            m["sequence"] = nil
            m["previous"] = nil
            var a = m["artifact"] as? [String: Any] ?? [:]
            a["recipient_fingerprints"] = nil
            a["recipients"] = [t.remote.key.recipient]
            m["artifact"] = a
        }
        try FileManager.default.removeItem(atPath: manifest + ".sig")
        try t.assertRefused("version 1 manifest, unsigned", naming: id, restoreID: id)

        // Without [trust] the same copy lists, verifies and restores as before.
        try Files.write(t.drConfig, try String(contentsOfFile: t.drConfig, encoding: .utf8)
            .replacingOccurrences(of: "[trust]\nsigners_file = \(toml(t.allowedSigners))\nmax_age = \"36h\"", with: ""), mode: 0o600)
        assertExit(try t.dr("verify", "--all", "--remote", "geo", "--identity", t.remote.key.identityPath), 0, "a v1 manifest without [trust]")
        assertExit(try t.dr("restore", id, "--remote", "geo", "--identity", t.remote.key.identityPath, "--output", t.ws.path("v1.bin")), 0, "restore of a v1 snapshot")
        try assertSameBytes(t.ws.path("v1.bin"), t.ws.path("original.bin"))
    }

    func testCheckConfigLoadsTheSigningKeyAndTheSigners() throws {
        let t = try TrustSetup.make(for: self, "trust-check")
        let ok = try t.ws.respaldo("check-config")
        assertExit(ok, 0, "check-config with [signing] and [trust]")
        XCTAssertTrue(ok.stdoutText.contains("signed with ssh-ed25519") && ok.stdoutText.contains("trusting 1 signing key"), ok.summary)
        try Files.write(t.allowedSigners, "backup@respaldo not-a-key-type AAAA\n", mode: 0o644)
        let bad = try t.ws.respaldo("check-config")
        assertExit(bad, 2, "a malformed allowed_signers file is a configuration error")
        XCTAssertTrue(bad.stderrText.contains(t.allowedSigners), bad.summary)
        // keygen --signing never overwrites.
        let again = try t.ws.respaldo("keygen", "--signing", "--output", t.signingKey)
        assertExit(again, 2, "keygen --signing onto an existing file")
        XCTAssertEqual(try Files.mode(t.signingKey), 0o600)
    }

    func testUploadNeverCopiesDamage() throws {
        let t = try TrustSetup.make(for: self, "trust-upload")
        let id = try t.ws.backup("db", upload: false)
        try Files.flipByte(try t.ws.artifactPath("db", id), at: 100)
        let r = try t.ws.respaldo("upload")
        assertExit(r, 1, "upload of a damaged local copy")
        XCTAssertTrue(r.output.contains("damaged") && r.output.contains(id), r.summary)
        XCTAssertFalse(Files.exists(t.remotePath("\(id).manifest.json")), "nothing published")
        XCTAssertEqual(t.remote.pendingIDs("geo"), [id], "still pending")

        // A remote copy that differs from the local one is reported, never "already there".
        let good = try t.ws.backup("db")
        try t.editJSON(t.remotePath("\(good).manifest.json")) { $0["host"] = "elsewhere" }
        let again = try t.ws.respaldo("upload")
        assertExit(again, 1, "upload finds a remote copy that differs")
        XCTAssertTrue(again.output.contains("differs") && again.output.contains(good), again.summary)
    }
}

extension Workspace {
    /// `respaldo backup JOB [--no-upload]` and the one snapshot id it printed.
    func backup(_ job: String, upload: Bool) throws -> String {
        if upload { return try backup(job) }
        let r = try respaldo("backup", job, "--no-upload")
        try requireExit(r, 0, "backup --no-upload of \(job) failed")
        guard let id = r.stdoutLines.first else { throw TestFailure("no snapshot id printed: \(r.summary)") }
        return id
    }
}
