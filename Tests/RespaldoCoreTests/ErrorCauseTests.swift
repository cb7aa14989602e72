import Foundation
import Storage
import XCTest

@testable import RespaldoCore

/// A failure wrapped on its way up keeps what it wraps: the storage error under an upload is
/// still there (and still permanent or transient) for whoever decides on it, and the message
/// is the one users have always read.
final class ErrorCauseTests: XCTestCase {
    /// A testbed whose job has one local snapshot, not yet on geo.
    private func snapshotted() throws -> (JobTestbed, Snapshot, MemoryStore) {
        let bed = try JobTestbed()
        let manifest = try bed.backup(upload: false).manifest
        return (bed, Snapshot(manifest: manifest, location: "local"), try XCTUnwrap(bed.remotes["geo"]))
    }

    private func retrying(_ store: MemoryStore) -> RetryingStore {
        RetryingStore(store, retries: 2, initialDelay: 0, sleep: { _ in })
    }

    func testAnUploadKeepsTheStorageErrorItWraps() throws {
        let (bed, snapshot, geo) = try snapshotted()
        let refused = StorageError.permissionDenied(location: "geo", name: snapshot.artifactPath, detail: "read-only share")
        geo.failNext(.putFile, with: refused)
        XCTAssertThrowsError(try UploadJob(env: bed.env).upload(snapshot, to: retrying(geo))) { error in
            guard let error = error as? RespaldoError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.description, "upload of \(snapshot.id) to geo failed: \(refused); it stays pending (`respaldo upload` sends it later)",
                           "the message is unchanged")
            XCTAssertEqual(error.rootCause as? StorageError, refused, "the cause survives the wrapper: \(error)")
            XCTAssertEqual(error.underlying as? StorageError, refused)
        }
    }

    func testUploadMissingKeepsTheCauseOfItsOnlyFailure() throws {
        let (bed, snapshot, geo) = try snapshotted()
        let refused = StorageError.permissionDenied(location: "geo", name: snapshot.artifactPath, detail: "read-only share")
        geo.failNext(.putFile, with: refused)
        XCTAssertThrowsError(try UploadJob(env: bed.env).uploadMissing(job: bed.config.jobs[0], to: retrying(geo))) { error in
            guard let error = error as? RespaldoError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.description, "upload of \(snapshot.id) to geo failed: \(refused); it stays pending (`respaldo upload` sends it later)")
            XCTAssertEqual(error.rootCause as? StorageError, refused, "\(error)")
        }
    }

    func testAPermanentStorageErrorStaysPermanentThroughRetryAndUpload() throws {
        let (bed, snapshot, geo) = try snapshotted()
        geo.failNext(.putFile, with: .permissionDenied(location: "geo", name: snapshot.artifactPath, detail: "read-only share"))
        XCTAssertThrowsError(try UploadJob(env: bed.env).upload(snapshot, to: retrying(geo))) { error in
            XCTAssertEqual((error as? RespaldoError)?.isPermanent, true, "retrying cannot help: \(error)")
        }
    }

    func testATransientStorageErrorStaysTransientThroughRetryAndUpload() throws {
        let (bed, snapshot, geo) = try snapshotted()
        // One more failure than the retries: the last one reaches the upload.
        for _ in 0..<3 {
            geo.failNext(.putFile, with: .remote(location: "geo", operation: "upload", name: snapshot.artifactPath, code: 7, message: "Connection refused"))
        }
        XCTAssertThrowsError(try UploadJob(env: bed.env).upload(snapshot, to: retrying(geo))) { error in
            guard let error = error as? RespaldoError else { return XCTFail("\(error)") }
            XCTAssertFalse(error.isPermanent, "a refused connection may pass: \(error)")
            XCTAssertNotNil(error.rootCause as? StorageError, "\(error)")
        }
    }

    func testEveryWrapperKeepsItsMessage() {
        let cause = StorageError.notFound(location: "geo", name: "crm/x.manifest.json")
        XCTAssertEqual(RespaldoError.operationFailed(.init(operation: "restore", object: "crm-1 from geo", cause: cause)).description,
                       "restore of crm-1 from geo failed: geo: crm/x.manifest.json: no such file")
        let worded = OperationFailure(operation: "decode", object: "manifest m.json", cause: cause) { "manifest m.json is not valid: \($0)" }
        XCTAssertEqual(worded.description, "manifest m.json is not valid: geo: crm/x.manifest.json: no such file")
        XCTAssertEqual(worded.operation, "decode")
        XCTAssertEqual(worded.object, "manifest m.json")
        // Nested wrappers: the root is the innermost, and it decides.
        let outer = RespaldoError.operationFailed(.init(operation: "upload", object: "crm-1 to geo",
                                                        cause: RespaldoError.operationFailed(.init(operation: "check", object: "crm-1", cause: cause))))
        XCTAssertEqual(outer.rootCause as? StorageError, cause)
        XCTAssertTrue(outer.isPermanent)
        XCTAssertEqual(outer.description, "upload of crm-1 to geo failed: check of crm-1 failed: geo: crm/x.manifest.json: no such file")
    }

    func testErrorsWithoutACauseAreTheirOwnRoot() {
        XCTAssertNil(RespaldoError.failed("pg_dump exited 1").underlying)
        XCTAssertEqual("\(RespaldoError.failed("pg_dump exited 1").rootCause)", "pg_dump exited 1")
        XCTAssertFalse(RespaldoError.failed("pg_dump exited 1").isPermanent)
        XCTAssertFalse(RespaldoError.locked(job: "crm", lockFile: "/l").isPermanent, "a lock is released")
        XCTAssertTrue(RespaldoError.usage("no such job").isPermanent)
    }
}
