import Foundation
import XCTest

/// The second copy over SFTP, through the binary, against a real sshd on 127.0.0.1.
final class RemoteTests: XCTestCase {
    /// Upload with the backup, list and verify the remote, restore from it with no local copy,
    /// and `check-config --connect` showing the server's real fingerprint.
    func testBackupUploadsAndRemoteReadsNeedNoLocalCopy() throws {
        let setup = try RemoteSetup.make(for: self, "remote")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 300_000, lines: 100_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original)

        let connect = try ws.respaldo("check-config", "--connect")
        assertExit(connect, 0, "check-config --connect")
        XCTAssertTrue(connect.stdoutText.contains("remote geo: ok"), connect.summary)
        XCTAssertTrue(connect.stdoutText.contains("SHA256:\(setup.sshd.hostKeySHA256)"), "the fingerprint shown is not the server's (\(setup.sshd.hostKeySHA256)): \(connect.summary)")
        XCTAssertFalse(setup.remoteFiles("geo").contains { $0.contains("respaldo-check") }, "the write probe was left behind")

        let id = try ws.backup("db")
        try setup.assertRemoteCopy("geo", id)
        XCTAssertEqual(setup.pendingIDs("geo"), [], "a successful upload leaves nothing pending")
        XCTAssertFalse(setup.remoteFiles("geo").contains { $0.hasSuffix(".partial") }, "\(setup.remoteFiles("geo"))")

        let listed = try ws.listJSON("--remote", "geo")
        XCTAssertEqual(listed.compactMap { $0["id"] as? String }, [id])
        XCTAssertEqual(listed.first?["locations"] as? [String], ["geo"])

        // The local folder is gone: everything below reads the remote only.
        try FileManager.default.removeItem(atPath: ws.jobDir("db"))
        let shallow = try ws.respaldo("verify", "--remote", "geo")
        assertExit(shallow, 0, "verify --remote geo")
        XCTAssertTrue(shallow.stdoutText.contains("\(id): ok (artifact checked)"), shallow.summary)
        let deep = try ws.respaldo("verify", id, "--remote", "geo", "--identity", setup.key.identityPath)
        assertExit(deep, 0, "verify --remote geo --identity")
        XCTAssertTrue(deep.stdoutText.contains("\(id): ok (dump checked)"), deep.summary)

        let restored = ws.path("restored.bin")
        assertExit(try ws.respaldo("restore", id, "--remote", "geo", "--identity", setup.key.identityPath, "--output", restored), 0, "restore --remote")
        try assertSameBytes(restored, original, "restore from the remote")

        // The remote artifact is standard age + gzip: the stock tools restore it too.
        let artifact = try XCTUnwrap(setup.remoteFiles("geo").first { $0.hasSuffix(".gz.age") })
        let viaTools = ws.path("via-tools.bin")
        try Subprocess.checked(["bash", "-c", "age -d -i \"$1\" \"$2\" | gunzip > \"$3\"", "_",
                                setup.key.identityPath, setup.remoteJobDir("geo") + "/" + artifact, viaTools])
        try assertSameBytes(viaTools, original, "age -d | gunzip of the remote artifact")
    }

    /// A byte flipped in the remote artifact is found by `verify --remote`, which names the snapshot.
    func testFlippedRemoteByteFailsVerify() throws {
        let setup = try RemoteSetup.make(for: self, "flip")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 100_000, lines: 20_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original)
        let id = try ws.backup("db")
        let artifact = try XCTUnwrap(setup.remoteFiles("geo").first { $0.hasSuffix(".gz.age") })
        try Files.flipByte(setup.remoteJobDir("geo") + "/" + artifact, at: 5_000)

        let remote = try ws.respaldo("verify", "--remote", "geo")
        assertExit(remote, 1, "verify must fail on a flipped remote byte")
        XCTAssertTrue(remote.output.contains("\(id): FAILED"), remote.summary)
        XCTAssertTrue(remote.output.lowercased().contains("sha-256") || remote.output.lowercased().contains("sha256"), "the failure should name the checksum: \(remote.summary)")
        assertExit(try ws.respaldo("verify"), 0, "the local copy is intact")
        let restored = ws.path("restored.bin")
        let restore = try ws.respaldo("restore", id, "--remote", "geo", "--identity", setup.key.identityPath, "--output", restored)
        assertExit(restore, 1, "restore of a corrupted remote copy must fail")
        XCTAssertFalse(Files.exists(restored), "no output may appear when the copy is corrupted")
    }

    /// Two remotes; one presents a host key that known_hosts does not list. The backup keeps
    /// the local snapshot, uploads to the good remote, marks the other pending, exits 1, and
    /// prunes nothing; once the key is right, `upload` brings it up to date.
    func testWrongHostKeyLeavesSnapshotPendingUntilUpload() throws {
        let setup = try RemoteSetup.make(for: self, "hostkey")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 50_000, lines: 20_000)
        try setup.writeConfig(remotes: [setup.remote("geo"), setup.remote("dr")], jobRemotes: ["geo", "dr"], source: original, retention: "keep_last = 1")
        let first = try ws.backup("db")

        try setup.writeConfig(remotes: [setup.remote("geo"), setup.remote("dr", knownHosts: setup.sshd.wrongKnownHosts, retries: 3)],
                              jobRemotes: ["geo", "dr"], source: original, retention: "keep_last = 1")
        let failed = try ws.respaldo("backup", "db")
        assertExit(failed, 1, "a refused host key must fail the backup")
        XCTAssertTrue(failed.stderrText.contains("host key") && failed.stderrText.contains("127.0.0.1"), "the error must say host key and name the host: \(failed.summary)")
        XCTAssertFalse(failed.stderrText.contains("retry"), "a host key mismatch is permanent, never retried: \(failed.summary)")
        let second = try XCTUnwrap(failed.stdoutLines.last, "the local snapshot's id is still printed: \(failed.summary)")
        XCTAssertEqual(ws.snapshotIDs("db"), [first, second], "the local snapshot stays and retention must not run after a failed upload")
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [first, second], "the good remote got its copy")
        XCTAssertEqual(setup.remoteSnapshotIDs("dr"), [first])
        XCTAssertEqual(setup.pendingIDs("dr"), [second])
        XCTAssertEqual(setup.pendingIDs("geo"), [])
        XCTAssertTrue(setup.remoteFiles("dr").allSatisfy { !$0.contains(second) }, "nothing of \(second) may reach a server whose key is wrong: \(setup.remoteFiles("dr"))")

        try setup.writeConfig(remotes: [setup.remote("geo"), setup.remote("dr")], jobRemotes: ["geo", "dr"], source: original, retention: "keep_last = 1")
        let upload = try ws.respaldo("upload")
        assertExit(upload, 0, "upload once the host key is right")
        XCTAssertTrue(upload.stdoutText.contains("db → dr: uploaded \(second)"), upload.summary)
        XCTAssertTrue(upload.stdoutText.contains("db → geo: up to date"), upload.summary)
        try setup.assertRemoteCopy("dr", second)
        XCTAssertEqual(setup.pendingIDs("dr"), [])
    }

    /// A pending marker whose snapshot no longer exists locally is dropped by `upload`, not
    /// shown as pending forever.
    func testUploadDropsMarkersOfSnapshotsThatAreGone() throws {
        let setup = try RemoteSetup.make(for: self, "stale")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 10_000, lines: 1_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original)
        let id = try ws.backup("db")
        let gone = "db-20200101T010000Z"
        try FileManager.default.createDirectory(atPath: ws.stateDir + "/pending/geo", withIntermediateDirectories: true)
        try Files.write(ws.stateDir + "/pending/geo/" + gone, "")
        let r = try ws.respaldo("upload", "db")
        assertExit(r, 0, "upload")
        XCTAssertTrue(r.stderrText.contains("pending upload of \(gone) to geo dropped"), r.summary)
        XCTAssertEqual(setup.pendingIDs("geo"), [])
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [id])
    }

    /// A key the server does not authorize: a permanent failure (no retries), named as such.
    func testAuthenticationFailureIsPermanent() throws {
        let setup = try RemoteSetup.make(for: self, "auth")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 10_000, lines: 1_000)
        try setup.writeConfig(remotes: [setup.remote("geo", identity: setup.sshd.strangerKey, retries: 3, retryDelay: 5)], jobRemotes: ["geo"], source: original)
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "authentication failure")
        XCTAssertTrue(r.stderrText.lowercased().contains("authentication"), r.summary)
        XCTAssertFalse(r.stderrText.contains("retry"), "authentication failures are not retried: \(r.summary)")
        XCTAssertEqual(ws.snapshotIDs("db").count, 1, "the local snapshot stays")
        XCTAssertEqual(setup.pendingIDs("geo").count, 1)
        let connect = try ws.respaldo("check-config", "--connect")
        assertExit(connect, 1, "check-config --connect must report the refused key")
        XCTAssertTrue(connect.stdoutText.contains("remote geo: FAILED"), connect.summary)
    }

    /// A pinned SHA-256 works like known_hosts; a wrong pin is refused.
    func testPinnedHostKey() throws {
        let setup = try RemoteSetup.make(for: self, "pin")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 10_000, lines: 1_000)
        try setup.writeConfig(remotes: [setup.remote("geo", pin: setup.sshd.hostKeySHA256)], jobRemotes: ["geo"], source: original)
        let id = try ws.backup("db")
        try setup.assertRemoteCopy("geo", id)
        let wrongPin = String(setup.sshd.hostKeySHA256.reversed())
        try setup.writeConfig(remotes: [setup.remote("geo", pin: wrongPin)], jobRemotes: ["geo"], source: original)
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "a wrong pin must be refused")
        XCTAssertTrue(r.stderrText.contains("host key"), r.summary)
    }

    /// Retention with keep_last = 2 on both sides after each successful backup; `prune
    /// --dry-run` explains and deletes nothing.
    func testRetentionOnBothSides() throws {
        let setup = try RemoteSetup.make(for: self, "retention")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 10_000, lines: 1_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original, retention: "keep_last = 2")
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try ws.backup("db")) }
        XCTAssertEqual(ws.snapshotIDs("db"), Array(ids.suffix(2)))
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), Array(ids.suffix(2)))
        XCTAssertEqual(setup.remoteFiles("geo").count, 4, "a manifest and an artifact per kept snapshot, nothing else: \(setup.remoteFiles("geo"))")

        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original, retention: "keep_last = 1")
        let dry = try ws.respaldo("prune", "--dry-run")
        assertExit(dry, 0, "prune --dry-run")
        XCTAssertTrue(dry.stdoutLines.contains { matches($0, "^geo +would remove +\(ids[1]) ") }, dry.summary)
        XCTAssertTrue(dry.stdoutLines.contains { matches($0, "^local +keep +\(ids[2]) .* last$") }, dry.summary)
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), Array(ids.suffix(2)), "a dry run deletes nothing")
        assertExit(try ws.respaldo("prune"), 0, "prune")
        XCTAssertEqual(ws.snapshotIDs("db"), [ids[2]])
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [ids[2]])
    }
}

/// `upload = "streaming"`: the artifact reaches the remote while it is written locally.
final class StreamingUploadTests: XCTestCase {
    func testStreamedCopyIsIdenticalAndAFailingRemoteFallsBackToPending() throws {
        let setup = try RemoteSetup.make(for: self, "stream")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 2_000_000, lines: 200_000)
        let text = ws.header(recipients: [setup.key.recipient]) + "\n" + setup.remote("geo") + "\n"
            + setup.remote("dr", knownHosts: setup.sshd.wrongKnownHosts) + "\n"
            + Workspace.commandJob("db", ["cat", original], extra: "remotes = [\"geo\", \"dr\"]\nupload = \"streaming\"")
        try ws.writeRawConfig(text)
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "one remote refuses its host key")
        let id = try XCTUnwrap(r.stdoutLines.last)
        XCTAssertTrue(r.stderrText.contains("to geo: streamed during the backup"), r.summary)
        try setup.assertRemoteCopy("geo", id)
        XCTAssertEqual(setup.pendingIDs("geo"), [])
        XCTAssertEqual(setup.pendingIDs("dr"), [id])
        XCTAssertEqual(setup.remoteFiles("dr").filter { $0.contains(id) }, [])
        assertExit(try ws.respaldo("verify", id, "--remote", "geo", "--identity", setup.key.identityPath), 0, "deep verify of the streamed copy")
    }

    func testFailedDumpLeavesNothingOnTheRemote() throws {
        let setup = try RemoteSetup.make(for: self, "streamfail")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 2_000_000, lines: 100_000)
        let text = ws.header(recipients: [setup.key.recipient]) + "\n" + setup.remote("geo") + "\n"
            + Workspace.commandJob("db", ["bash", "-c", "cat \"$1\"; exit 3", "_", original], extra: "remotes = [\"geo\"]\nupload = \"streaming\"")
        try ws.writeRawConfig(text)
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "a failing dump fails the backup")
        XCTAssertEqual(ws.snapshotIDs("db"), [])
        XCTAssertEqual(ws.partialFiles(), [])
        XCTAssertEqual(setup.remoteFiles("geo"), [], "the streamed .partial must be removed from the remote")
        XCTAssertEqual(setup.pendingIDs("geo"), [], "no snapshot, nothing pending")
    }
}

/// The daemon at start compares each remote with the local folder, so a copy owed is sent even
/// when its pending marker was lost.
final class DaemonUploadTests: XCTestCase {
    func testDaemonStartUploadsWhatARemoteLacksWithoutAMarker() throws {
        let setup = try RemoteSetup.make(for: self, "daemonup")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 20_000, lines: 2_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original)
        let backup = try ws.respaldo("backup", "db", "--no-upload")
        assertExit(backup, 0, "backup --no-upload")
        let id = try XCTUnwrap(backup.stdoutLines.last)
        try FileManager.default.removeItem(atPath: ws.stateDir + "/pending/geo/" + id)

        let daemon = try ws.startRespaldo("daemon", timeout: 60)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline && setup.remoteSnapshotIDs("geo") != [id] { usleep(100_000) }
        kill(daemon.pid, SIGTERM)
        let r = daemon.wait()
        assertExit(r, 0, "daemon stops on SIGTERM")
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [id], "the daemon's first upload round found the missing copy: \(r.stderrText)")
        try setup.assertRemoteCopy("geo", id)
    }
}
