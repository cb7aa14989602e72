import Foundation
import Storage
import XCTest

@testable import RespaldoCore

/// BackupJob on MemoryStore remotes with an injected clock: what a run leaves where.
final class BackupJobTests: XCTestCase {
    func testABackupIsCompleteLocallyAndOnEveryRemoteWithNothingLeftPending() throws {
        let bed = try JobTestbed(remoteNames: ["geo", "vault"])
        let run = try bed.backup()

        XCTAssertEqual(run.manifest.id, "notes-20261201T010000Z", "the id is the injected clock's second")
        XCTAssertEqual(run.manifest.startedAt, "2026-12-01T01:00:00Z")
        XCTAssertTrue(run.failures.isEmpty, "\(run.failures)")
        let files = ["notes/notes-20261201T010000Z.tar.gz.age", "notes/notes-20261201T010000Z.manifest.json"]
        XCTAssertEqual(try bed.localNames(), files.sorted())
        for (name, remote) in bed.remotes {
            XCTAssertEqual(remote.allNames, files.sorted(), name)
            XCTAssertEqual(remote.contents(of: files[1]), try bed.env.local.read(files[1]), "\(name) holds the local manifest byte for byte")
        }
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [])
        XCTAssertEqual(run.steps.map(\.kind), [.upload, .upload, .prune, .prune, .prune])
        let audit = try bed.auditEntries()
        XCTAssertEqual(audit.map(\.action), ["backup", "upload", "upload"])
        XCTAssertEqual(audit.map(\.target), ["local", "geo", "vault"])
    }

    func testAFailedCopyLeavesTheSnapshotLocalAndPendingAndSkipsRetention() throws {
        let bed = try JobTestbed(retention: "keep_last = 1")
        try bed.backup()
        bed.remotes["geo"]?.failNext(.putFile, with: .permissionDenied(location: "geo", name: "notes", detail: "read-only file system"))
        let run = try bed.backup()

        XCTAssertEqual(run.failures.count, 1)
        XCTAssertTrue(run.failures[0].description.contains("upload of \(run.manifest.id) to geo failed"), "\(run.failures[0])")
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [run.manifest.id], "the copy is owed")
        XCTAssertFalse(run.steps.contains { $0.kind == .prune }, "no retention until every remote has it")
        XCTAssertEqual(try bed.localNames().filter { $0.hasSuffix(".manifest.json") }.count, 2, "keep_last = 1 did not run")
        XCTAssertTrue(bed.log.text.contains("retention skipped until every remote has \(run.manifest.id)"), bed.log.text)
    }

    func testNoUploadMarksEveryRemotePendingAndSendsNothing() throws {
        let bed = try JobTestbed()
        let run = try bed.backup(upload: false)
        XCTAssertEqual(bed.remotes["geo"]?.allNames, [])
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [run.manifest.id])
    }

    func testAnIDTakenOnARemoteMovesToTheNextSecond() throws {
        let bed = try JobTestbed()
        // Another host published this second's id on the shared remote.
        try bed.remotes["geo"]?.put("notes/notes-20261201T010000Z.manifest.json", bytes: Array("{}".utf8))
        // The job waits for the next real second; the injected clock moves with it.
        let clock = bed.clock
        let mover = Thread { Thread.sleep(forTimeInterval: 0.2); clock.advance(by: 1) }
        mover.start()
        let run = try bed.backup()
        XCTAssertEqual(run.manifest.id, "notes-20261201T010001Z")
        XCTAssertTrue(bed.log.text.contains("snapshot id notes-20261201T010000Z is already used on geo"), bed.log.text)
    }

    func testACancelledRunLeavesNoSnapshotAndNoMarker() throws {
        let bed = try JobTestbed()
        _ = bed.cancellation.cancel(reason: .signal(SIGTERM))
        XCTAssertThrowsError(try bed.backup()) { error in
            XCTAssertTrue("\(error)".contains("interrupted by SIGTERM"), "\(error)")
        }
        XCTAssertEqual(try bed.localNames(), [])
        XCTAssertEqual(bed.env.state.pending.ids(remote: "geo"), [])
        XCTAssertEqual(try bed.auditEntries().map(\.result), ["failed"])
    }

    func testTheJobTimeoutOnTheInjectedClockStopsTheRun() throws {
        // A dump that never ends: only the timeout (2 s on the test's clock) stops it.
        let bed = try JobTestbed(extraJob: "")
        var config = bed.config
        config.jobs[0].source = .command(argv: ["/bin/sh", "-c", "exec sleep 30"])
        config.jobs[0].timeout = ConfigDuration(seconds: 2)
        let env = Environment(config: config, local: bed.env.local, state: bed.env.state, clock: bed.env.clock,
                              cancellation: bed.cancellation, logger: bed.env.logger, actor: bed.env.audit.log.actor,
                              openRemote: { [geo = bed.remotes["geo"]!] _ in geo })
        let deadlines = bed.deadlines
        let advancer = Thread { Thread.sleep(forTimeInterval: 0.3); deadlines.advance(by: 3) }
        advancer.start()
        XCTAssertThrowsError(try BackupJob(env: env, jobName: "notes").runReporting()) { error in
            XCTAssertTrue("\(error)".contains("exceeded its timeout of 2s"), "\(error)")
        }
        XCTAssertEqual(try env.local.list("notes").map(\.name), [])
    }

    func testAFailedStreamingRunTakesBackEveryCopyItStarted() throws {
        let bed = try JobTestbed()
        var config = bed.config
        // The dump writes, then fails: the artifact was already streaming to geo.
        config.jobs[0].source = .command(argv: ["/bin/sh", "-c", "head -c 300000 /dev/urandom; exit 3"])
        config.jobs[0].uploadMode = .streaming
        let env = Environment(config: config, local: bed.env.local, state: bed.env.state, clock: bed.env.clock,
                              cancellation: bed.cancellation, logger: bed.env.logger, actor: bed.env.audit.log.actor,
                              openRemote: { [geo = bed.remotes["geo"]!] _ in geo })
        XCTAssertThrowsError(try BackupJob(env: env, jobName: "notes").runReporting()) { error in
            XCTAssertTrue("\(error)".contains("backup notes-20261201T010000Z failed"), "\(error)")
        }
        XCTAssertEqual(try env.local.list("notes").map(\.name), [], "no local artifact")
        XCTAssertEqual(try env.local.partials("notes").map(\.name), [])
        XCTAssertEqual(bed.remotes["geo"]?.allNames.filter { !$0.hasSuffix(".partial") }, [], "no remote artifact")
        XCTAssertEqual(env.state.pending.ids(remote: "geo"), [], "nothing is owed for a snapshot that never was")
    }
}
