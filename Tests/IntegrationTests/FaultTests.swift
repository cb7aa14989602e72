import Foundation
import XCTest

/// One fault stays one fault (issue: no input crashes respaldo, stops a job, or deletes a good
/// snapshot): each test plants what an operator's bad day or a local attacker leaves behind
/// and runs the real binary against it.
final class FaultTests: XCTestCase {
    private func twoJobs(_ ws: Workspace, retention: String = "") throws -> String {
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 20_000, lines: 2_000)
        try ws.writeRawConfig(ws.header() + (retention.isEmpty ? "" : "\n[retention]\n\(retention)\n") + "\n"
            + Workspace.commandJob("db", ["cat", source]) + "\n" + Workspace.commandJob("web", ["cat", source]))
        return source
    }

    /// Item 1: a manifest copied under another snapshot's name (a duplicated id) made Prune's
    /// `Dictionary(uniqueKeysWithValues:)` trap (exit 132) in backup and prune.
    func testDuplicatedSnapshotIDNeverTraps() throws {
        let setup = try RemoteSetup.make(for: self, "fault-dup")
        let ws = setup.ws
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 20_000, lines: 2_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source, retention: "keep_last = 2")
        let first = try ws.backup("db")
        _ = try ws.backup("db")
        let copy = "db-20300101T000000Z.manifest.json"
        try FileManager.default.copyItem(atPath: ws.manifestPath("db", first), toPath: ws.jobDir("db") + "/" + copy)
        try FileManager.default.copyItem(atPath: setup.remoteJobDir("geo") + "/\(first).manifest.json", toPath: setup.remoteJobDir("geo") + "/" + copy)
        let backup = try ws.respaldo("backup", "db")
        assertExit(backup, 0, "backup with a duplicated id here and on the remote")
        XCTAssertNil(backup.signal, backup.summary)
        let prune = try ws.respaldo("prune")
        assertExit(prune, 0, "prune with a duplicated id")
        XCTAssertEqual(ws.snapshotIDs("db").filter { !$0.hasPrefix("db-2030") }.count, 2, "keep_last = 2 applied to the genuine snapshots")
        let list = try ws.respaldo("list")
        XCTAssertTrue(list.output.contains("db-20300101T000000Z") && list.output.contains("damaged"), "the copy is reported: \(list.summary)")
    }

    /// Item 2: a truncated, empty or garbage manifest stopped every later backup of its job, and
    /// list / verify --all for every job.
    func testBadManifestIsReportedAndSkipped() throws {
        let ws = try Workspace.make(for: self, "fault-badmanifest")
        _ = try twoJobs(ws)
        let good = try ws.backup("db")
        let web = try ws.backup("web")
        for (i, content) in ["", "{\"format\": \"respaldo-manifest/2\", \"id\": ", "\u{0}\u{1}garbage"].enumerated() {
            let bad = "db-2030010\(i)T000000Z"
            try Files.write(ws.manifestPath("db", bad), content)
        }
        let next = try ws.backup("db")
        XCTAssertNotEqual(next, good)
        assertExit(try ws.respaldo("prune"), 0, "prune skips the bad manifests")
        let list = try ws.respaldo("list")
        XCTAssertEqual(list.exitCode, 1, "list reports the damage: \(list.summary)")
        for id in [good, next, web] { XCTAssertTrue(list.stdoutText.contains(id), "\(id) still listed: \(list.summary)") }
        XCTAssertTrue(list.stderrText.contains("db-20300100T000000Z.manifest.json"), "the bad one is named: \(list.summary)")
        let verify = try ws.respaldo("verify", "--all")
        XCTAssertEqual(verify.exitCode, 1, verify.summary)
        for id in [good, next, web] { XCTAssertTrue(verify.stdoutText.contains("\(id): ok"), "\(id) verified: \(verify.summary)") }
        XCTAssertTrue(verify.stdoutText.contains("FAILED") && verify.output.contains("damaged manifest"), verify.summary)
        assertExit(try ws.respaldo("status"), 0, "status is unaffected by a damaged manifest")
    }

    /// Item 1: a declared number that would overflow (a manifest's sequence at Int64.max) is
    /// damage, never arithmetic: the next backup's chain would have trapped on `+ 1`.
    func testOverflowingSequenceIsDamageNotATrap() throws {
        let ws = try Workspace.make(for: self, "fault-overflow")
        _ = try twoJobs(ws)
        let id = try ws.backup("db")
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: try Files.read(ws.manifestPath("db", id))) as? [String: Any])
        object["sequence"] = Int64.max
        try Files.write(ws.manifestPath("db", id), try JSONSerialization.data(withJSONObject: object))
        let backup = try ws.respaldo("backup", "db")
        assertExit(backup, 0, "backup beside a manifest with an overflowing sequence")
        XCTAssertNil(backup.signal, backup.summary)
        let list = try ws.respaldo("list")
        XCTAssertTrue(list.stderrText.contains(id) && list.stderrText.contains("impossible sequence"), list.summary)
    }

    /// Item 3: a manifest naming another snapshot's artifact made prune delete the newest kept
    /// snapshot's artifact. Files are found from the id only.
    func testPruneNeverTrustsTheArtifactNameAManifestStates() throws {
        let ws = try Workspace.make(for: self, "fault-artname")
        _ = try twoJobs(ws)
        let old = try ws.backup("db")
        let newest = try ws.backup("db")
        _ = try twoJobs(ws, retention: "keep_last = 1")
        let newestArtifact = try ws.artifactPath("db", newest)
        let manifest = ws.manifestPath("db", old)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: try Files.read(manifest)) as? [String: Any])
        var artifact = try XCTUnwrap(object["artifact"] as? [String: Any])
        artifact["name"] = (newestArtifact as NSString).lastPathComponent
        object["artifact"] = artifact
        try Files.write(manifest, try JSONSerialization.data(withJSONObject: object))
        assertExit(try ws.respaldo("prune"), 0, "prune")
        XCTAssertTrue(Files.exists(newestArtifact), "the newest snapshot's artifact was deleted")
        assertExit(try ws.respaldo("verify", newest), 0, "the newest snapshot is intact")
    }

    /// Item 4: a truncated run-state file of one job froze status (and the daemon's catch-up and
    /// metrics) for every job.
    func testCorruptRunStateAffectsThatJobOnlyAndIsRebuilt() throws {
        let ws = try Workspace.make(for: self, "fault-runstate")
        _ = try twoJobs(ws)
        _ = try ws.backup("db")
        _ = try ws.backup("web")
        let path = ws.stateDir + "/runs/db.json"
        try Files.write(path, "{\"format\": \"respaldo-run-state/1\", \"job\": \"db\", \"last_run\": ")
        let status = try ws.respaldo("status")
        XCTAssertEqual(status.exitCode, 1, "status says a state is unreadable: \(status.summary)")
        XCTAssertTrue(status.stdoutText.contains("web:") && status.stdoutText.contains("run state:    unreadable"), status.summary)
        let web = status.stdoutText.components(separatedBy: "web:").last ?? ""
        XCTAssertTrue(web.contains("ok"), "the other job's last run is still shown: \(status.summary)")
        _ = try ws.backup("db")
        assertExit(try ws.respaldo("status"), 0, "the next run rebuilt the state")
        XCTAssertTrue(Files.exists(path + ".corrupt"), "the damaged file is kept aside")
    }

    /// Item 7: `upload` copied a local artifact with a flipped byte and cleared its pending marker.
    func testUploadRefusesLocalBitRot() throws {
        let setup = try RemoteSetup.make(for: self, "fault-bitrot")
        let ws = setup.ws
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 20_000, lines: 2_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source)
        let id = try ws.backup("db", upload: false)
        try Files.flipByte(try ws.artifactPath("db", id), at: 1_000)
        let r = try ws.respaldo("upload")
        assertExit(r, 1, "upload of a damaged local copy")
        XCTAssertTrue(r.output.contains("damaged") && r.output.contains(id), r.summary)
        XCTAssertFalse(setup.remoteSnapshotIDs("geo").contains(id))
        XCTAssertEqual(setup.pendingIDs("geo"), [id])
    }

    /// Item 8: files a local user can plant: a symlink at `F.partial` (restore followed it
    /// with O_TRUNC), a symlinked lock file, a config owned by another user, an open state_dir.
    func testPlantedFilesAreNeverFollowedOrTrusted() throws {
        let ws = try Workspace.make(for: self, "fault-plant")
        _ = try twoJobs(ws)
        let id = try ws.backup("db")
        let victim = ws.path("victim")
        try Files.write(victim, "root only\n", mode: 0o600)
        let output = ws.path("restored.bin")
        XCTAssertEqual(symlink(victim, output + ".partial"), 0)
        let restore = try ws.respaldo("restore", id, "--output", output)
        assertExit(restore, 0, "restore replaces a planted .partial symlink instead of following it")
        XCTAssertEqual(String(decoding: try Files.read(victim), as: UTF8.self), "root only\n", "the symlink's target was overwritten")
        try assertSameBytes(output, ws.path("original.bin"))

        let elsewhere = ws.path("created-through-lock")
        XCTAssertEqual(symlink(elsewhere, ws.stateDir + "/locks/web.lock"), 0)
        let locked = try ws.respaldo("backup", "web")
        XCTAssertNotEqual(locked.exitCode, 0, locked.summary)
        XCTAssertFalse(Files.exists(elsewhere), "the lock file's symlink was followed")
        unlink(ws.stateDir + "/locks/web.lock")

        let nobody = try XCTUnwrap(getpwnam("nobody")?.pointee.pw_uid)
        XCTAssertEqual(chown(ws.configPath, nobody, gid_t(nobody)), 0)
        let owned = try ws.respaldo("check-config")
        assertExit(owned, 2, "a config owned by another unprivileged user")
        XCTAssertTrue(owned.stderrText.contains("owned by nobody"), owned.summary)
        XCTAssertEqual(chown(ws.configPath, 0, 0), 0)

        XCTAssertEqual(chmod(ws.stateDir, 0o770), 0)
        let open = try ws.respaldo("check-config")
        assertExit(open, 2, "a group-writable state_dir")
        XCTAssertTrue(open.stderrText.contains(ws.stateDir) && open.stderrText.contains("writable by group"), open.summary)
        XCTAssertEqual(chmod(ws.stateDir, 0o700), 0)
        assertExit(try ws.respaldo("check-config"), 0, "a workspace under /tmp (root-owned, sticky) is fine")
    }

    /// Item 9: what a remote can send: names with control characters or a newline (a phantom
    /// manifest in the `ls -l` listing), an oversized manifest, ids taken by another host.
    func testStrangeRemoteNamesAndSizesAreContained() throws {
        let setup = try RemoteSetup.make(for: self, "fault-peer")
        let ws = setup.ws
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 20_000, lines: 2_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source)
        let id = try ws.backup("db")
        let dir = setup.remoteJobDir("geo")
        try Files.write(dir + "/db-20300101T000000Z\u{1b}[31m.manifest.json", "{}")
        try Files.write(dir + "/x\n-rw-r--r-- 1 a b 10 Jan  1 00:00 db-20300102T000000Z.manifest.json", "{}")
        try Files.write(dir + "/db-20300103T000000Z.manifest.json", String(repeating: "x", count: 2 << 20))
        try Files.write(dir + "/db-stale\u{1}.partial", "planted")
        assertExit(try ws.respaldo("prune"), 0, "a stale .partial whose name no store call may carry does not stop prune")
        let list = try ws.respaldo("list", "--remote", "geo")
        XCTAssertTrue(list.stdoutText.contains(id), list.summary)
        XCTAssertFalse(list.output.contains("\u{1b}"), "a control character reached the terminal: \(list.summary)")
        XCTAssertFalse(list.stdoutText.contains("db-20300102T000000Z"), "a phantom manifest from a newline in a name: \(list.summary)")
        XCTAssertTrue(list.stderrText.contains("db-20300103T000000Z"), "the oversized manifest is named: \(list.summary)")

        // Another host with the same job and remote folder took the coming seconds: this host's
        // snapshot takes a free one and nothing of the other host's is replaced.
        let now = Date()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let taken = (0..<4).map { "db-" + formatter.string(from: now.addingTimeInterval(Double($0))) }
        for other in taken { try Files.write(dir + "/\(other).dump.gz.age", "other host") }
        let mine = try ws.backup("db")
        XCTAssertFalse(taken.contains(mine), "\(mine) collides with another host's snapshot")
        // (Prune may remove them as orphans older than the newest snapshot; it never overwrites.)
        for other in taken where Files.exists(dir + "/\(other).dump.gz.age") {
            XCTAssertEqual(String(decoding: try Files.read(dir + "/\(other).dump.gz.age"), as: UTF8.self), "other host")
        }
    }

    /// Item 9: an `@revoked` marker in known_hosts was ignored.
    func testRevokedHostKeyIsRefused() throws {
        let setup = try RemoteSetup.make(for: self, "fault-revoked")
        let ws = setup.ws
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 20_000, lines: 2_000)
        let line = try String(contentsOfFile: setup.sshd.knownHosts, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let fields = line.split(separator: " ")
        let revoked = ws.path("known_hosts")
        try Files.write(revoked, line + "\n@revoked * \(fields[1]) \(fields[2])\n", mode: 0o644)
        try setup.writeConfig(remotes: [setup.remote("geo", knownHosts: revoked)], jobRemotes: ["geo"], source: source)
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "upload to a server whose key is revoked")
        XCTAssertTrue(r.output.contains("@revoked"), r.summary)
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [])
    }

    /// Item 9: a drill spooled gigabytes of an artifact whose age header had already failed.
    func testDrillStopsFetchingAtAnUnopenableHeader() throws {
        let setup = try RemoteSetup.make(for: self, "fault-spool")
        let ws = setup.ws
        let source = ws.path("original.bin")
        try Subprocess.checked(["bash", "-c", "head -c 40000000 /dev/urandom > \"$1\"", "_", source])
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source)
        try ws.writeRawConfig(try String(contentsOfFile: ws.configPath, encoding: .utf8) + "[jobs.drill]\nrestore_command = [\"sh\", \"-c\", \"cat > /dev/null\"]\n")
        _ = try ws.backup("db")
        let stranger = try AgeKey.generate(ws.path("stranger.txt"))
        let r = try ws.respaldo("drill", "db", "--remote", "geo", "--identity", stranger.identityPath)
        assertExit(r, 1, "a drill with the wrong identity")
        // The manifest's recipient fingerprints say so before a byte is fetched; a manifest
        // without them (version 1) is stopped at the age header.
        XCTAssertTrue(r.output.contains("not a key it was encrypted to") || r.output.contains("fetch stopped at the age header"), r.summary)
        XCTAssertEqual(Files.list(ws.stateDir + "/drill"), [], "nothing left in the spool")
    }

    /// Item 10: a password inside the database URI reached ps, the logs and the manifest.
    func testCredentialsInADatabaseURIAreRefusedWithoutEchoingThem() throws {
        let ws = try Workspace.make(for: self, "fault-uri")
        try ws.writeRawConfig(ws.header() + """

            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "postgresql://app:S3cretPW@db.example.com/crm"

            """)
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "a password in the database URI")
        XCTAssertTrue(r.stderrText.contains("password_file") && r.stderrText.contains("database"), r.summary)
        XCTAssertFalse(r.output.contains("S3cretPW"), "the password was echoed: \(r.summary)")
    }

    /// Item 11: the id's second and started_at once differed.
    func testSnapshotIDAndStartedAtAgree() throws {
        let ws = try Workspace.make(for: self, "fault-time")
        _ = try twoJobs(ws)
        let id = try ws.backup("db")
        let manifest = try ws.manifest("db", id)
        let started = try XCTUnwrap(manifest["started_at"] as? String)
        XCTAssertEqual(snapshotTime(id), parseRFC3339(started), "\(id) vs started_at \(started)")
    }
}
