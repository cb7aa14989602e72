import Foundation
import Storage
import XCTest

@testable import RespaldoCore

/// UploadJob and PruneJob on MemoryStore remotes with an injected clock.
final class UploadPruneJobTests: XCTestCase {
    func testUploadMissingSendsWhatIsPendingOldestFirstAndClearsTheMarkers() throws {
        let bed = try JobTestbed()
        let first = try bed.backup(upload: false).manifest.id
        let second = try bed.backup(upload: false).manifest.id
        let job = try bed.config.requiredJob(named: "notes")

        let sent = try UploadJob(env: bed.env).uploadMissing(job: job, to: bed.remotes["geo"]!)

        XCTAssertEqual(sent, [first, second])
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [])
        XCTAssertEqual(try Catalog.snapshots(in: bed.remotes["geo"]!, job: "notes").map(\.id), [first, second])
        XCTAssertEqual(SnapshotCounts.load(stateDir: bed.env.state.root, job: "notes")["geo"], 2)
        XCTAssertEqual(try UploadJob(env: bed.env).uploadMissing(job: job, to: bed.remotes["geo"]!), [], "a second round has nothing to send")
    }

    func testARemoteCopyThatDiffersIsReportedAndNeverReplaced() throws {
        let bed = try JobTestbed()
        let id = try bed.backup().manifest.id
        let manifest = "notes/\(id).manifest.json"
        let geo = try XCTUnwrap(bed.remotes["geo"])
        try geo.delete(manifest)
        try geo.put(manifest, bytes: Array(#"{"forged":true}"#.utf8))
        // The snapshot is missing from the catalog (its manifest no longer decodes): the upload
        // would send it again, and must refuse to overwrite what is there.
        XCTAssertThrowsError(try UploadJob(env: bed.env).uploadMissing(job: bed.config.jobs[0], to: geo)) { error in
            XCTAssertTrue("\(error)".contains("already holds a different \(manifest)"), "\(error)")
        }
        XCTAssertEqual(geo.contents(of: manifest), Array(#"{"forged":true}"#.utf8))
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [id], "still owed")
    }

    func testAMarkerWhoseSnapshotIsGoneLocallyIsDropped() throws {
        let bed = try JobTestbed()
        try bed.env.state.pending.mark("notes-20200101T000000Z", remote: "geo")
        _ = try UploadJob(env: bed.env).uploadMissing(job: bed.config.jobs[0], to: bed.remotes["geo"]!)
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [])
        XCTAssertTrue(bed.log.text.contains("pending upload of notes-20200101T000000Z to geo dropped"), bed.log.text)
    }

    func testRetentionRunsEverywhereAfterACompleteBackupAndCountsTheRemote() throws {
        let bed = try JobTestbed(retention: "keep_last = 2")
        var ids: [String] = []
        for _ in 0..<4 { ids.append(try bed.backup(gap: 86_400).manifest.id) }

        XCTAssertEqual(try Catalog.snapshots(in: bed.env.local, job: "notes").map(\.id), Array(ids.suffix(2)))
        XCTAssertEqual(try Catalog.snapshots(in: bed.remotes["geo"]!, job: "notes").map(\.id), Array(ids.suffix(2)))
        XCTAssertEqual(SnapshotCounts.load(stateDir: bed.env.state.root, job: "notes")["geo"], 2)
        XCTAssertNil(SnapshotCounts.load(stateDir: bed.env.state.root, job: "notes")["local"], "the local folder is counted by listing it")
        let deletions = try bed.auditEntries().filter { $0.action == "prune-delete" }
        XCTAssertEqual(deletions.count, 4, "two snapshots, local and geo")
    }

    func testADryRunDecidesAndRemovesNothing() throws {
        let bed = try JobTestbed(retention: "keep_last = 1")
        try bed.backup(upload: false)
        try bed.backup(upload: false)
        let reports = try PruneJob(env: bed.env).runEverywhere(job: bed.config.jobs[0], dryRun: true)
        XCTAssertEqual(reports.map(\.location), ["local", "geo"])
        XCTAssertEqual(reports[0].decisions.filter { !$0.keep }.count, 1)
        XCTAssertEqual(try bed.localNames().count, 4, "nothing removed")
    }

    func testAnAppendOnlyRemoteIsNeverPruned() throws {
        let bed = try JobTestbed(retention: "keep_last = 1")
        var config = bed.config
        config.remotes[0].appendOnly = true
        let env = Environment(config: config, local: bed.env.local, state: bed.env.state, clock: bed.env.clock,
                              cancellation: bed.cancellation, logger: bed.env.logger, actor: bed.env.audit.log.actor,
                              openRemote: { [geo = bed.remotes["geo"]!] _ in geo })
        let reports = try PruneJob(env: env).runEverywhere(job: config.jobs[0], dryRun: false)
        XCTAssertEqual(reports.last?.skipped?.hasPrefix("append_only"), true)
    }

    func testADaemonRoundRecordsFailuresAndRecoveriesButNotIdleRounds() throws {
        let bed = try JobTestbed()
        let job = bed.config.jobs[0]
        let last = { RunState.loadReporting(stateDir: bed.env.state.root, job: "notes").state.uploads["geo"]?.last }
        let round = { (onlyNews: Bool) throws -> UploadJob.Round in
            bed.clock.advance(by: 60)
            return try UploadJob(env: bed.env).uploadMissingRecorded(job: job, remote: "geo", alerter: nil, onlyNews: onlyNews)
        }
        try bed.backup(upload: false)
        bed.remotes["geo"]?.failNext(.putFile, with: .permissionDenied(location: "geo", name: "notes", detail: "read-only file system"))

        XCTAssertNotNil(try round(true).error)
        XCTAssertEqual(last()?.success, false)
        let recovered = try round(true)
        XCTAssertNil(recovered.error)
        XCTAssertEqual(recovered.uploaded.count, 1)
        XCTAssertEqual(last()?.success, true)
        let recoveredAt = last()?.startedAt

        _ = try round(true)
        XCTAssertEqual(last()?.startedAt, recoveredAt, "an idle round after a success is not news")
        _ = try round(false)
        XCTAssertNotEqual(last()?.startedAt, recoveredAt, "an operator's round is always recorded")
    }
}
