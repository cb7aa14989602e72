import Foundation
import Storage
import XCTest

@testable import RespaldoCore

/// RestoreJob, VerifyJob and DrillJob on a MemoryStore remote with an injected clock.
final class RestoreVerifyDrillJobTests: XCTestCase {
    func testRestoreFromARemoteWritesTheDumpAndAuditsIt() throws {
        let bed = try JobTestbed()
        let manifest = try bed.backup().manifest
        let repository = try Repository.open(bed.env, remote: "geo")
        let snapshot = try repository.snapshot(id: manifest.id)
        let output = bed.root + "/restored.tar"
        let identities = try Keys.identities(identityFile: bed.identityFile, config: bed.config)

        try RestoreJob(env: bed.env).run(snapshot, from: repository.store, identities: identities, to: .file(output))

        let restored = try Data(contentsOf: URL(fileURLWithPath: output))
        XCTAssertEqual(Int64(restored.count), manifest.plain.bytes)
        XCTAssertEqual(sha256Hex(Array(restored)), manifest.plain.sha256)
        XCTAssertEqual(try bed.auditEntries().last?.action, "restore")
        XCTAssertEqual(try bed.auditEntries().last?.target, output)
        XCTAssertThrowsError(try RestoreJob(env: bed.env).run(snapshot, from: repository.store, identities: identities, to: .file(output))) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
        XCTAssertEqual(try bed.auditEntries().last?.result, "failed")
    }

    func testVerifyFindsADamagedRemoteArtifactAndAuditsTheFailure() throws {
        let bed = try JobTestbed()
        let manifest = try bed.backup().manifest
        let geo = try XCTUnwrap(bed.remotes["geo"])
        let snapshot = try Repository.open(bed.env, remote: "geo").snapshot(id: manifest.id)
        let identities = try Keys.identities(identityFile: bed.identityFile, config: bed.config)
        XCTAssertTrue(VerifyJob(env: bed.env).verify(snapshot, in: geo, identities: identities).ok)

        var bytes = try XCTUnwrap(geo.contents(of: snapshot.artifactPath))
        bytes[bytes.count / 2] ^= 0xFF
        try geo.delete(snapshot.artifactPath)
        try geo.put(snapshot.artifactPath, bytes: bytes)
        let report = VerifyJob(env: bed.env).verify(snapshot, in: geo, identities: identities)

        XCTAssertFalse(report.ok)
        XCTAssertTrue(report.problems.joined().contains("SHA-256"), "\(report.problems)")
        XCTAssertEqual(try bed.auditEntries().suffix(2).map(\.result), ["ok", "failed"])
    }

    func testADrillFromTheRemoteRestoresTheNewestSnapshotAndChecksItsPaths() throws {
        let bed = try JobTestbed(extraJob: "")
        try bed.backup()
        let newest = try bed.backup().manifest.id

        let report = try DrillJob(env: bed.env, jobName: "notes").run(remote: "geo", identityFile: bed.identityFile)

        XCTAssertTrue(report.ok, "\(report.error ?? "") \(report.checks)")
        XCTAssertEqual(report.snapshot, newest, "the newest snapshot is drilled")
        XCTAssertEqual(report.location, "geo")
        XCTAssertTrue(report.scratchRemoved)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: bed.env.state.drills), [], "the spool and scratch are gone")
    }

    func testADrillRefusesASnapshotOfAnotherJobAndAnEncryptedOneWithoutIdentity() throws {
        let bed = try JobTestbed()
        let id = try bed.backup().manifest.id
        var drill = try DrillJob(env: bed.env, jobName: "notes")
        drill.showProgress = false
        XCTAssertThrowsError(try drill.run(remote: "geo", snapshotID: "other-20261201T010000Z")) {
            XCTAssertTrue("\($0)".contains("no snapshot other-20261201T010000Z"), "\($0)")
        }
        XCTAssertThrowsError(try drill.run(remote: "geo", snapshotID: id)) {
            XCTAssertTrue("\($0)".contains("is encrypted"), "\($0)")
        }
    }
}
