import Foundation
import XCTest

/// Backups of a `command` job: the stored files, the manifest, interop with gunzip and age,
/// restore, and ids of runs in the same second.
final class CommandBackupTests: XCTestCase {
    /// Scenario 2 (and 14's gunzip part): an unencrypted artifact is plain gzip of the
    /// command's output; the manifest describes it exactly; modes are 0600/0700.
    func testUnencryptedCommandBackup() throws {
        let ws = try Workspace.make(for: self, "cmd")
        let original = ws.path("original.bin")
        try makeSampleFile(original)
        let argv = ["cat", original]
        try ws.writeConfig(Workspace.commandJob("plain", argv, extra: "compression_level = 9"))

        let id = try ws.backup("plain")
        try assertSnapshot(ws, ExpectedSnapshot(job: "plain", id: id, kind: "command", argv: argv, plainPath: original, recipients: nil, level: 9))

        let artifact = try ws.artifactPath("plain", id)
        let gunzipT = try Subprocess.run(["gunzip", "-t", artifact])
        assertExit(gunzipT, 0, "gunzip -t must accept the artifact")
        let unzipped = ws.path("gunzipped.bin")
        try Subprocess.checked(["bash", "-c", "gunzip -c \"$1\" > \"$2\"", "_", artifact, unzipped])
        try assertSameBytes(unzipped, original, "gunzip -c of the artifact is not the command's output")

        assertExit(try ws.respaldo("verify", id), 0, "verify ID")
        assertExit(try ws.respaldo("verify"), 0, "verify (all)")
        let json = try ws.respaldo("verify", "--json")
        assertExit(json, 0, "verify --json")
        if let array = try parseJSON(json.stdoutText, "verify --json") as? [[String: Any]] {
            XCTAssertEqual(array.count, 1, "verify --json: \(array)")
            XCTAssertEqual(jsonString(array.first?["id"]), id)
            XCTAssertEqual((array.first?["ok"] as? NSNumber)?.boolValue, true, "\(array)")
            XCTAssertEqual((array.first?["problems"] as? [Any])?.count, 0, "\(array)")
        } else {
            XCTFail("verify --json is not an array of objects: \(json.stdoutText)")
        }

        let restored = ws.path("restored.bin")
        assertExit(try ws.respaldo("restore", id, "--output", restored), 0, "restore --output")
        try assertSameBytes(restored, original, "restore --output")
        let toStdout = try ws.respaldo("restore", id, "--stdout")
        assertExit(toStdout, 0, "restore --stdout")
        let originalBytes = try Files.read(original)
        XCTAssertTrue(toStdout.stdout == originalBytes, "restore --stdout did not write the original bytes (\(toStdout.stdout.count) vs \(originalBytes.count) bytes)")
    }

    /// Scenario 14: an encrypted artifact is age v1 readable by `age -d` with either of two
    /// recipients' identities, then by `gunzip`; respaldo's own verify/restore agree.
    func testEncryptedArtifactIsStandardAgeAndGzip() throws {
        try Tools.require("age", package: "age")
        let ws = try Workspace.make(for: self, "age")
        let key1 = try AgeKey.generate(ws.path("key1.txt"))
        let key2 = try AgeKey.generate(ws.path("key2.txt"))
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 70_000, lines: 200_000)
        let argv = ["cat", original]
        try ws.writeConfig(recipients: [key1.recipient, key2.recipient], Workspace.commandJob("secret", argv))

        let id = try ws.backup("secret")
        try assertSnapshot(ws, ExpectedSnapshot(job: "secret", id: id, kind: "command", argv: argv, plainPath: original, recipients: [key1.recipient, key2.recipient], level: 6))

        let artifact = try ws.artifactPath("secret", id)
        let head = try Files.read(artifact).prefix(22)
        XCTAssertEqual(String(decoding: head, as: UTF8.self), "age-encryption.org/v1\n", "the artifact must start with the age v1 header")
        for (n, key) in [key1, key2].enumerated() {
            let out = ws.path("stock\(n).bin")
            let r = try Subprocess.bash("age -d -i \(shellQuote(key.identityPath)) \(shellQuote(artifact)) | gunzip > \(shellQuote(out))")
            assertExit(r, 0, "age -d -i key\(n + 1) | gunzip")
            try assertSameBytes(out, original, "age -d | gunzip with key\(n + 1)")
        }
        // Plain gzip readers must not mistake the encrypted artifact for gzip.
        XCTAssertNotEqual(try Subprocess.run(["gunzip", "-t", artifact]).exitCode, 0, "an age file is not gzip")

        assertExit(try ws.respaldo("verify", id), 0, "verify without identity (stored bytes only)")
        assertExit(try ws.respaldo("verify", id, "--identity", key2.identityPath), 0, "verify --identity")
        let restored = ws.path("restored.bin")
        assertExit(try ws.respaldo("restore", id, "--identity", key1.identityPath, "--output", restored), 0, "restore")
        try assertSameBytes(restored, original, "restore --identity --output")
        XCTAssertEqual(try Files.mode(restored), 0o600, "a restored dump is private")
    }

    /// Scenario 10: back-to-back runs of a fast job (usually within one second) all succeed
    /// with distinct ids, each a complete snapshot.
    func testSequentialBackupsInTheSameSecondGetDistinctIDs() throws {
        let ws = try Workspace.make(for: self, "fast")
        try ws.writeConfig(Workspace.commandJob("fast", ["echo", "hello from a fast job"]))
        var ids: [String] = []
        for _ in 0..<3 {
            let r = try ws.respaldo("backup", "fast")
            try requireExit(r, 0, "backup of a fast job")
            XCTAssertEqual(r.stdoutLines.count, 1, r.summary)
            ids += r.stdoutLines
        }
        XCTAssertEqual(Set(ids).count, ids.count, "ids must be distinct: \(ids)")
        for id in ids {
            XCTAssertTrue(id.hasPrefix("fast-") && matches(id, #"^fast-[0-9]{8}T[0-9]{6}Z"#), "id format: \(id)")
            XCTAssertTrue(Files.exists(ws.manifestPath("fast", id)), "manifest of \(id)")
            XCTAssertNoThrow(try ws.artifactPath("fast", id))
        }
        XCTAssertEqual(Set(ws.snapshotIDs("fast")), Set(ids), "the store holds exactly these snapshots")
        XCTAssertEqual(try ws.listJSON("fast").count, ids.count, "list fast --json")
        assertExit(try ws.respaldo("verify", "--all"), 0, "verify --all")
        let seconds = Set(ids.compactMap { id in id.range(of: #"[0-9]{8}T[0-9]{6}Z"#, options: .regularExpression).map { String(id[$0]) } })
        print("sequential ids: \(ids) (\(seconds.count) distinct second(s))")
    }

    /// `backup` with no job names runs every job and prints one id per job.
    func testBackupWithoutJobNamesRunsEveryJob() throws {
        let ws = try Workspace.make(for: self, "all")
        try ws.writeConfig(Workspace.commandJob("one", ["echo", "one"]) + Workspace.commandJob("two", ["echo", "two"]))
        let r = try ws.respaldo("backup")
        try requireExit(r, 0, "backup (all jobs)")
        XCTAssertEqual(r.stdoutLines.count, 2, r.summary)
        XCTAssertEqual(r.stdoutLines.filter { $0.hasPrefix("one-") }.count, 1, r.summary)
        XCTAssertEqual(r.stdoutLines.filter { $0.hasPrefix("two-") }.count, 1, r.summary)
        XCTAssertEqual(ws.snapshotIDs("one").count, 1)
        XCTAssertEqual(ws.snapshotIDs("two").count, 1)
        XCTAssertEqual(try ws.listJSON().count, 2)
        XCTAssertEqual(try ws.listJSON("one").count, 1, "list JOB filters by job")
    }
}
