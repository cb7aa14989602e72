import Foundation
import Synchronization
import TestFixtures
import XCTest

/// A real SeaweedFS (S3 with signature checks and Object Lock) started once for these tests.
final class SharedSeaweed: Sendable {
    private let state = Mutex<Result<SeaweedServer, any Error>?>(nil)

    func get() throws -> SeaweedServer {
        try state.withLock { value -> Result<SeaweedServer, any Error> in
            if let value { return value }
            let result = Result { try SeaweedServer() }
            value = result
            return result
        }.get()
    }

    func stop() {
        state.withLock { value in
            (try? value?.get())?.tearDown()
            value = nil
        }
    }
}

/// S3-compatible remotes through the binary: backup, list, verify, restore and drill from the
/// bucket with no local copy; Object Lock kept by prune; the ransomware drill.
final class S3RemoteTests: XCTestCase {
    private static let seaweed = SharedSeaweed()

    override class func tearDown() {
        seaweed.stop()
        super.tearDown()
    }

    struct Setup {
        let ws: Workspace
        let weed: SeaweedServer
        let key: AgeKey
        let bucket: String
        let trust: String
    }

    /// A signing backup server whose job `db` uploads to remote `vault` in a fresh bucket.
    private func setUp(_ label: String, lock: String? = nil, retention: String = "", secret: String? = nil) throws -> Setup {
        let weed = try Self.seaweed.get()
        let ws = try Workspace.make(for: self, label)
        let bucket = "b-" + label.lowercased().replacingOccurrences(of: "_", with: "-") + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try weed.createBucket(bucket, objectLock: lock != nil)
        let key = try AgeKey.generate(ws.path("key.txt"))
        let signing = ws.path("signing.key")
        let keygen = try ws.respaldo("keygen", "--signing", "--output", signing)
        try requireExit(keygen, 0, "keygen --signing")
        try Files.write(ws.path("allowed_signers"), "backup@test \(keygen.stdoutText)", mode: 0o644)
        let credentials = ws.path("s3.credentials")
        try Files.write(credentials, "[default]\naws_access_key_id = \(weed.accessKeyID)\naws_secret_access_key = \(secret ?? weed.secretAccessKey)\n", mode: 0o600)
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 200_000, lines: 20_000)
        let trust = "[trust]\nsigners_file = \(toml(ws.path("allowed_signers")))\nmax_age = \"36h\"\n"
        var text = ws.header(recipients: [key.recipient])
        text += "\n[signing]\nkey_file = \(toml(signing))\n\n" + trust
        if !retention.isEmpty { text += "\n[retention]\n\(retention)\n" }
        text += """

            [[remotes]]
            name = "vault"
            url = "s3://\(bucket)/prod"
            endpoint = \(toml(weed.endpoint))
            region = \(toml(weed.region))
            credentials_file = \(toml(credentials))
            retries = 2
            retry_delay = 0.2
            \(lock.map { "object_lock = \"\($0)\"\nlock_days = 1" } ?? "")

            """
        text += Workspace.commandJob("db", ["cat", source], extra: """
            remotes = ["vault"]
            [jobs.drill]
            restore_command = ["sh", "-c", "cat > /dev/null"]
            identity_file = \(toml(key.identityPath))
            """)
        try ws.writeRawConfig(text)
        return Setup(ws: ws, weed: weed, key: key, bucket: bucket, trust: trust)
    }

    func testBackupListVerifyRestoreAndDrillFromS3WithNoLocalCopy() throws {
        let s = try setUp("s3flow")
        let connect = try s.ws.respaldo("check-config", "--connect")
        assertExit(connect, 0, "check-config --connect on S3")
        XCTAssertTrue(connect.stdoutText.contains("remote vault: ok") && connect.stdoutText.contains("versioning"), connect.summary)
        let id = try s.ws.backup("db")
        try FileManager.default.removeItem(atPath: s.ws.jobDir("db"))
        let list = try s.ws.respaldo("list", "--remote", "vault")
        assertExit(list, 0, "list --remote vault")
        XCTAssertTrue(list.stdoutText.contains(id), list.summary)
        let verify = try s.ws.respaldo("verify", "--all", "--remote", "vault", "--identity", s.key.identityPath)
        assertExit(verify, 0, "verify --remote vault (signatures, chain, inventory, bytes)")
        XCTAssertTrue(verify.stdoutText.contains("\(id): ok (dump checked)"), verify.summary)
        let restored = s.ws.path("restored.bin")
        assertExit(try s.ws.respaldo("restore", id, "--remote", "vault", "--identity", s.key.identityPath, "--output", restored), 0, "restore from S3")
        try assertSameBytes(restored, s.ws.path("original.bin"))
        assertExit(try s.ws.respaldo("drill", "db", "--remote", "vault"), 0, "drill from S3")
    }

    func testWrongSecretIsPermanent() throws {
        let s = try setUp("s3secret", secret: "not-the-secret-at-all")
        let r = try s.ws.respaldo("backup", "db")
        assertExit(r, 1, "upload with a wrong secret")
        XCTAssertFalse(r.stderrText.contains("retry 1 of"), "a refused credential is not retried: \(r.summary)")
        XCTAssertEqual(Files.list(s.ws.stateDir + "/pending/vault").count, 1, "the snapshot stays pending")
    }

    func testCheckConnectRefusesABucketWithoutLockWhenTheRemoteAsksForOne() throws {
        let s = try setUp("s3nolock")
        try s.ws.writeRawConfig(try String(contentsOfFile: s.ws.configPath, encoding: .utf8)
            .replacingOccurrences(of: "retry_delay = 0.2\n", with: "retry_delay = 0.2\nobject_lock = \"compliance\"\nlock_days = 1\n"))
        let r = try s.ws.respaldo("check-config", "--connect")
        assertExit(r, 1, "object_lock on a bucket without Object Lock")
        XCTAssertTrue(r.output.contains("has no Object Lock"), r.summary)
    }

    func testLockedSnapshotSurvivesPruneAndIsReported() throws {
        let s = try setUp("s3locked", lock: "compliance")
        let first = try s.ws.backup("db")
        _ = try s.ws.backup("db")
        try s.ws.writeRawConfig(try String(contentsOfFile: s.ws.configPath, encoding: .utf8).replacingOccurrences(of: "[[remotes]]", with: "[retention]\nkeep_last = 1\n\n[[remotes]]"))
        let prune = try s.ws.respaldo("prune")
        assertExit(prune, 0, "a lock in force is not a prune failure")
        XCTAssertTrue(prune.stdoutLines.contains { matches($0, "^vault +locked +\(first) .*Object Lock holds it until") }, prune.summary)
        XCTAssertTrue(try s.ws.respaldo("list", "--remote", "vault").stdoutText.contains(first), "the locked snapshot is still there")
        XCTAssertFalse(s.ws.snapshotIDs("db").contains(first), "locally it was pruned")
    }

    /// The backup server's own S3 credentials try what ransomware would: every attempt on a
    /// compliance-locked snapshot fails, and what a versioned bucket lets through (a delete
    /// marker, a newer version) destroys nothing and is caught by a [trust] verifier.
    func testRansomwareWithTheServersCredentialsDestroysNothing() throws {
        let s = try setUp("s3ransom", lock: "compliance")
        let id = try s.ws.backup("db")
        let artifactKey = "/\(s.bucket)/prod/db/\(id).dump.gz.age"
        let versions = try s.weed.s3Request("GET", "/\(s.bucket)?prefix=prod%2Fdb%2F\(id).dump.gz.age&versions=")
        let versionID = try XCTUnwrap(versions.components(separatedBy: "<VersionId>").dropFirst().first?.components(separatedBy: "</VersionId>").first)

        // (curl 7.88's SigV4 signs the query as given: keys sorted, `=` on valueless ones.)
        // Delete the locked version itself: refused.
        XCTAssertThrowsError(try s.weed.s3Request("DELETE", "\(artifactKey)?versionId=\(versionID)"), "deleting a locked version")
        // Shorten its lock: refused.
        let shorter = "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>"
        XCTAssertNotEqual(try attack(s, "PUT", "\(artifactKey)?retention=&versionId=\(versionID)", body: shorter), 200, "shortening a compliance lock")
        // Overwrite and plain delete only add a version and a delete marker on top.
        _ = try attack(s, "PUT", artifactKey, body: "encrypted by ransomware")
        _ = try attack(s, "DELETE", artifactKey, body: "")
        let after = try s.weed.s3Request("GET", "/\(s.bucket)?prefix=prod%2Fdb%2F\(id).dump.gz.age&versions=")
        XCTAssertTrue(after.contains(versionID), "the original version survives: \(after)")
        // A forged newer inventory (no valid signature) is refused, not believed.
        XCTAssertEqual(try attack(s, "PUT", "/\(s.bucket)/prod/db/inventory-999999999999.json", body: "{\"format\": \"respaldo-inventory/1\"}"), 200)
        XCTAssertEqual(try attack(s, "PUT", "/\(s.bucket)/prod/db/inventory-999999999999.json.sig", body: "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"), 200)
        // A [trust] verifier notices at once.
        let verify = try s.ws.respaldo("verify", "--all", "--remote", "vault")
        assertExit(verify, 1, "the verifier sees the attack")
        XCTAssertTrue(verify.output.contains("tamper") || verify.output.contains("missing"), verify.summary)
        XCTAssertTrue(verify.output.contains("signature check failed for job db at vault: inventory"), "the forged inventory: \(verify.summary)")
    }

    /// A raw request with the server's credentials and any body; its HTTP status.
    private func attack(_ s: Setup, _ method: String, _ path: String, body: String) throws -> Int {
        let file = s.ws.path("body-\(UUID().uuidString)")
        try Files.write(file, body)
        let hash = try Files.sha256(file)
        let md5 = try Subprocess.checked(["bash", "-c", "openssl dgst -md5 -binary \"$1\" | base64", "_", file]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try Subprocess.run([
            "/usr/bin/curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "-X", method,
            "--aws-sigv4", "aws:amz:\(s.weed.region):s3", "--user", "\(s.weed.accessKeyID):\(s.weed.secretAccessKey)",
            "-H", "x-amz-content-sha256: \(hash)", "-H", "Content-MD5: \(md5)", "--data-binary", "@\(file)",
            "http://127.0.0.1:\(s.weed.port)\(path)",
        ])
        return Int(r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
