import Foundation
import XCTest

/// `list` and `prune` that explain, against a real sshd: where each snapshot is (from the
/// recorded state, without connecting), with ages and totals; prune's aligned table with a
/// reason per removal, the bytes freed, and a warning before removing a snapshot that a
/// remote never received. `backup --no-upload` does what its help says.
final class ListPruneTests: XCTestCase {
    /// Three snapshots of job `db`: `uploaded` and `newest` reached geo, `pending` did not.
    private func threeSnapshots(_ setup: RemoteSetup, retention: String = "") throws -> (uploaded: String, pending: String, newest: String) {
        let ws = setup.ws
        let source = ws.path("dump.bin")
        try Subprocess.checked(["sh", "-c", "head -c 300000 /dev/urandom > \(shellQuote(source))"])
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source)
        let uploaded = try ws.backup("db")
        let deferred = try ws.respaldo("backup", "db", "--no-upload")
        try requireExit(deferred, 0, "backup --no-upload")
        let pending = try XCTUnwrap(deferred.stdoutLines.last)
        let newest = try ws.backup("db")
        // The policy comes after the backups, which would otherwise apply it themselves.
        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: source, retention: retention)
        return (uploaded, pending, newest)
    }

    func testNoUploadDoesWhatItsHelpSays() throws {
        let setup = try RemoteSetup.make(for: self, "noupload")
        let help = try setup.ws.respaldo("backup", "--help")
        XCTAssertTrue(help.stdoutText.contains("--no-upload") && help.stdoutText.contains("pending"), "the help says the snapshot stays pending\n\(help.summary)")
        let (_, pending, _) = try threeSnapshots(setup)
        XCTAssertFalse(setup.remoteSnapshotIDs("geo").contains(pending), "--no-upload uploads nothing")
        XCTAssertTrue(setup.pendingIDs("geo").contains(pending), "… and the snapshot is pending, as the help says")
        let upload = try setup.ws.respaldo("upload")
        assertExit(upload, 0, "upload sends it later")
        XCTAssertTrue(setup.remoteSnapshotIDs("geo").contains(pending))
    }

    func testListShowsWhereEachSnapshotIsWithAgesAndTotalsWithoutConnecting() throws {
        let setup = try RemoteSetup.make(for: self, "list-where")
        let ws = setup.ws
        let (uploaded, pending, newest) = try threeSnapshots(setup)
        // A snapshot that only geo still holds (pruned here).
        for name in Files.list(ws.jobDir("db")) where name.hasPrefix(uploaded) { try FileManager.default.removeItem(atPath: ws.jobDir("db") + "/" + name) }
        setup.sshd.stop()  // list must not need the remote

        let r = try ws.respaldo("list")
        assertExit(r, 0, "list without a connection")
        let rows = r.stdoutLines
        func row(_ id: String) -> String? { rows.first { $0.hasPrefix(id) } }
        XCTAssertTrue(rows.first?.hasPrefix("ID") ?? false, r.summary)
        XCTAssertTrue(rows.first?.contains("AGE") ?? false, "an age column\n\(r.summary)")
        XCTAssertTrue(row(newest).map { $0.hasSuffix("local, geo") } ?? false, "newest: here and on geo\n\(r.summary)")
        XCTAssertTrue(row(pending).map { $0.hasSuffix("local; geo: pending") } ?? false, "pending: not yet on geo\n\(r.summary)")
        XCTAssertTrue(row(uploaded).map { $0.hasSuffix("geo") && !$0.contains("local") } ?? false, "only on geo now\n\(r.summary)")
        XCTAssertTrue(rows.contains { $0.hasPrefix("3 snapshots") && $0.contains("local: 2") && $0.contains("geo: 2") }, "totals per location\n\(r.summary)")
        XCTAssertTrue(r.stdoutText.contains("recorded"), "says the remote's state is the recorded one\n\(r.summary)")

        let json = try ws.listJSON()
        let entry = try XCTUnwrap(json.first { $0["id"] as? String == pending })
        XCTAssertEqual(entry["locations"] as? [String], ["local"])
        XCTAssertEqual(entry["pending"] as? [String], ["geo"])
        XCTAssertNotNil(entry["age_seconds"] as? Double, "\(entry)")
    }

    func testPruneAlignsItsColumnsGivesAReasonPerRemovalAndWarnsBeforeLosingTheOnlyCopy() throws {
        let setup = try RemoteSetup.make(for: self, "prune-why")
        let ws = setup.ws
        let (uploaded, pending, newest) = try threeSnapshots(setup, retention: "keep_last = 1")
        let dry = try ws.respaldo("prune", "--dry-run")
        assertExit(dry, 0, "prune --dry-run")
        let rows = dry.stdoutLines.filter { $0.contains("db-") }
        XCTAssertEqual(rows.count, 5, "local: 3 rows, geo: 2\n\(dry.summary)")
        // Aligned: each column starts at the same place on every row.
        let idColumns = Set(rows.compactMap { row in row.range(of: "db-").map { row.distance(from: row.startIndex, to: $0.lowerBound) } })
        XCTAssertEqual(idColumns.count, 1, "the snapshot column is aligned\n\(dry.summary)")
        for id in [uploaded, pending] {
            let removal = rows.first { $0.hasPrefix("local") && $0.contains(id) }
            XCTAssertTrue(removal?.contains("would remove") ?? false, dry.summary)
            XCTAssertTrue(removal?.contains("not among the 1 newest (keep_last = 1)") ?? false, "a reason for the removal\n\(dry.summary)")
        }
        XCTAssertTrue(rows.contains { $0.hasPrefix("local") && $0.contains(newest) && $0.contains("keep") && $0.contains("last") }, dry.summary)
        XCTAssertTrue(dry.stdoutText.contains("would free"), "the bytes freed\n\(dry.summary)")
        XCTAssertTrue(dry.output.contains("\(pending)") && dry.output.contains("never received"), "the warning\n\(dry.summary)")

        let real = try PseudoTerminal.run(Respaldo.argv("prune", config: ws.configPath, []), environment: Respaldo.environment(home: ws.root))
        XCTAssertEqual(real.exitCode, 0, real.summary)
        let warning = real.screen.firstIndex { $0.contains("warning") && $0.contains(pending) && $0.contains("geo never received") }
        let removal = real.screen.firstIndex { $0.hasPrefix("local") && $0.contains("remove") && $0.contains(pending) }
        XCTAssertNotNil(warning, real.summary)
        XCTAssertNotNil(removal, real.summary)
        if let warning, let removal { XCTAssertLessThan(warning, removal, "the warning comes before the removal\n\(real.summary)") }
        XCTAssertTrue(real.screen.contains { $0.contains("freed") }, real.summary)
        XCTAssertEqual(ws.snapshotIDs("db"), [newest])
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [newest])
    }
}
