import Foundation
import XCTest

/// Prune removes orphans (issue 14, item 6): an artifact, or a manifest's signature, left
/// without its manifest by a run SIGKILLed between the artifact's rename and the manifest,
/// once it is older than the job's newest complete snapshot. Anything newer may belong to a
/// run still in progress (on another host sharing the remote) and stays; so do the signed
/// inventories and files that are no snapshot's.
final class OrphanPruneTests: XCTestCase {
    /// Files planted in a job folder: the orphans that must go, and what must stay.
    private struct Planted {
        let old = ["db-20200101T000000Z.dump.gz.age", "db-20200101T000001Z.dump.gz", "db-20200102T000000Z.manifest.json.sig"]
        let kept = ["db-20990101T000000Z.dump.gz.age", "db-20990101T000000Z.manifest.json.sig",
                    "inventory-000000000007.json", "inventory-000000000007.json.sig", "notes.txt"]

        func plant(in folder: String) throws {
            for name in old + kept { try Files.write(folder + "/" + name, "planted \(name)\n") }
        }

        func check(_ folder: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
            let present = Set(Files.list(folder))
            for name in old { XCTAssertFalse(present.contains(name), "\(what): orphan \(name) should be removed: \(present.sorted())", file: file, line: line) }
            for name in kept { XCTAssertTrue(present.contains(name), "\(what): \(name) must be kept: \(present.sorted())", file: file, line: line) }
        }
    }

    func testPruneRemovesOldOrphansLocallyAndOnTheRemote() throws {
        let setup = try RemoteSetup.make(for: self, "orphans")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 10_000, lines: 1_000)
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original, retention: "keep_last = 3")
        let first = try ws.backup("db")
        let second = try ws.backup("db")
        let planted = Planted()
        try planted.plant(in: ws.jobDir("db"))
        try planted.plant(in: setup.remoteJobDir("geo"))

        let dry = try ws.respaldo("prune", "db", "--dry-run")
        assertExit(dry, 0, "prune --dry-run")
        for location in ["local", "geo"] {
            XCTAssertTrue(dry.stdoutLines.contains { line in
                let words = line.split(separator: " ").map(String.init)
                return words.first == location && line.contains("would remove") && words.contains("db/\(planted.old[0])") && line.contains("orphan: no manifest")
            }, "\(location): the dry run names the orphan and why\n\(dry.summary)")
        }
        XCTAssertTrue(dry.stdoutText.contains("3 orphans"), "the totals count them\n\(dry.summary)")
        XCTAssertTrue(Set(Files.list(ws.jobDir("db"))).isSuperset(of: planted.old), "a dry run deletes nothing")

        let r = try ws.respaldo("prune", "db")
        assertExit(r, 0, "prune")
        planted.check(ws.jobDir("db"), "local")
        planted.check(setup.remoteJobDir("geo"), "geo")
        XCTAssertEqual(ws.snapshotIDs("db"), [first, second], "complete snapshots are untouched")
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [first, second])
        assertExit(try ws.respaldo("verify", "--all"), 0, "what is left verifies")
    }

    /// The backup's own prune (after a successful run) removes them too.
    func testTheNextBackupRemovesOldOrphans() throws {
        let ws = try Workspace.make(for: self, "orphans-backup")
        try ws.writeConfig(Workspace.commandJob("db", ["echo", "data"]))
        _ = try ws.backup("db")
        let planted = Planted()
        try planted.plant(in: ws.jobDir("db"))
        _ = try ws.backup("db")
        planted.check(ws.jobDir("db"), "after a backup")
    }
}
