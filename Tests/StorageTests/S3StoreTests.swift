import Foundation
@testable import Storage
import StoreContract
import TestFixtures
import XCTest

/// S3Store against a real SeaweedFS (signatures checked): the store contract on a plain and
/// on a versioned (Object Lock) bucket, failures, and Object Lock.
final class S3StoreTests: XCTestCase {
    private static let shared = SharedSeaweed()

    override class func tearDown() {
        shared.stop()
        super.tearDown()
    }

    private var server: SeaweedServer { get throws { try Self.shared.get() } }

    // MARK: - The store contract

    func testStoreContractOnAPlainBucket() throws {
        let server = try self.server
        StoreContract.run { try server.contractSubject(bucket: "plain") }
    }

    /// Deletes go through the versions there.
    func testStoreContractOnAVersionedBucket() throws {
        let server = try self.server
        StoreContract.run { try server.contractSubject(bucket: "locking") }
    }

    // MARK: - Multipart

    /// Streamed puts across part boundaries: one byte short of a part, a part, a part and one
    /// byte, several parts; each stored whole, nothing left in progress.
    func testStreamedPutsAroundPartBoundaries() throws {
        let store = try S3Store(options: try server.options(bucket: "plain", prefix: "boundaries-\(UUID())"))
        let part = S3Store.minPartSize
        for (index, size) in [part - 1, part, part + 1, 2 * part + 17].enumerated() {
            let bytes = randomBytes(size)
            var offset = 0
            try store.put("job/\(index)", expectedSize: index % 2 == 0 ? Int64(size) : nil) { buffer in
                let count = min(buffer.count, 700_000, bytes.count - offset)
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
                offset += count
                return count
            }
            var read: [UInt8] = []
            try store.get("job/\(index)") { read.append(contentsOf: $0) }
            XCTAssertTrue(read == bytes, "size \(size)")
        }
        XCTAssertEqual(try store.partials("job"), [])
    }

    /// A failing streamed multipart put aborts its upload: nothing stays in progress.
    func testFailedMultipartPutAbortsItsUpload() throws {
        struct Boom: Error {}
        let store = try S3Store(options: try server.options(bucket: "plain", prefix: "abort-\(UUID())"))
        var sent = 0
        XCTAssertThrowsError(try store.put("job/x", expectedSize: nil) { buffer in
            if sent > 12 << 20 { throw Boom() }
            buffer.initializeMemory(as: UInt8.self, repeating: 1)
            sent += buffer.count
            return buffer.count
        }) { XCTAssertTrue($0 is Boom, "\($0)") }
        XCTAssertEqual(try store.partials("job"), [])
        XCTAssertNil(try store.size(of: "job/x"))
    }

    /// A part in progress whose bytes differ from the file is sent again, not trusted.
    func testResumeSendsAgainAPartThatDiffersFromTheFile() throws {
        let store = try S3Store(options: try server.options(bucket: "plain", prefix: "differ-\(UUID())"))
        let part = S3Store.minPartSize
        let bytes = randomBytes(3 * part)
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("s3-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: local) }
        try Data(bytes).write(to: URL(fileURLWithPath: local))
        var planted = bytes
        planted[part + 10] ^= 0xff  // part 2 is damaged
        try plantUpload(store, "job/f", Array(planted.prefix(2 * part)))
        XCTAssertEqual(try store.partials("job"), [StoredObject(name: "job/f.partial", size: Int64(2 * part))])
        XCTAssertEqual(try store.putFile("job/f", localPath: local), PutFileResult(bytes: Int64(3 * part), resumedFrom: Int64(part)))
        var read: [UInt8] = []
        try store.get("job/f") { read.append(contentsOf: $0) }
        XCTAssertTrue(read == bytes)
    }

    /// Listings of several pages: objects (continuation tokens), uploads, parts and versions
    /// (markers), with pages of 2.
    func testPaginatedListings() throws {
        let store = try S3Store(options: try server.options(bucket: "locking", prefix: "pages-\(UUID())"))
        store.listPageSize = 2
        let names = (0..<7).map { "job/f\($0) +%.bin" }
        for name in names { try store.put(name, bytes: [1]) }
        try store.put("job/sub/deeper", bytes: [2])
        XCTAssertEqual(try store.list("job").map(\.name), names)
        for index in 0..<5 { try plantUpload(store, "job/u\(index)", [UInt8](repeating: 1, count: 10)) }
        XCTAssertEqual(try store.partials("job").map(\.name), (0..<5).map { "job/u\($0).partial" })
        let parts = randomBytes(5 * S3Store.minPartSize)
        try plantUpload(store, "job/p", parts)
        XCTAssertEqual(try store.partials("job").first { $0.name == "job/p.partial" }?.size, Int64(parts.count), "five parts, three pages")
        for name in names { try store.delete(name) }
        XCTAssertEqual(try store.list("job"), [])

        // Three versions of one key (a version, a delete marker, a version): two pages.
        let key = store.target.key("job/v")
        try store.put("job/v", bytes: [1])
        try server.s3Request("DELETE", "/locking/" + key)
        try store.put("job/v", bytes: [2])
        let versions = try store.locked { try Locking(store: store, connection: $0).listVersions(of: "job/v") }
        XCTAssertEqual(versions.map(\.isDeleteMarker).sorted { !$0 && $1 }, [false, false, true])
        try store.delete("job/v")
        XCTAssertEqual(try store.locked { try Locking(store: store, connection: $0).listVersions(of: "job/v") }.count, 0)
    }

    /// cancel() from another thread stops a putFile between or within parts; the upload stays
    /// in progress for a later resume, and the store takes no more work.
    func testCancelStopsAPutFile() throws {
        let store = try S3Store(options: try server.options(bucket: "plain", prefix: "cancel-\(UUID())"))
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("s3-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: local) }
        try writeRandomFile(local, count: 8 * S3Store.minPartSize)
        XCTAssertThrowsError(try store.putFile("job/c", localPath: local) { sent, _ in
            if sent >= Int64(S3Store.minPartSize) { store.cancel() }
        }) { XCTAssertEqual($0 as? StorageError, .cancelled(location: "vault")) }
        XCTAssertThrowsError(try store.list("job")) { XCTAssertEqual($0 as? StorageError, .cancelled(location: "vault")) }
        let other = try S3Store(options: store.options)
        XCTAssertNil(try other.size(of: "job/c"))
        XCTAssertEqual(try other.partials("job").map(\.name), ["job/c.partial"])
        try other.delete("job/c.partial")
        XCTAssertEqual(try other.partials("job"), [])
    }

    // MARK: - Failures

    func testWrongSecretIsAPermanentCredentialsError() throws {
        let counting = CountingStore(try S3Store(options: try server.options(bucket: "plain", secret: "not-the-secret")))
        let sleeps = Recorder<Double>()
        let retrying = RetryingStore(counting, retries: 3, initialDelay: 0.01, sleep: { sleeps.append($0) })
        XCTAssertThrowsError(try retrying.list("job")) { error in
            guard let error = error as? StorageError, case let .credentials(_, _, code, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "SignatureDoesNotMatch")
            XCTAssertTrue(error.isPermanent)
        }
        XCTAssertEqual(counting.calls.values.count, 1, "one attempt")
        XCTAssertEqual(sleeps.values, [])
        // A HEAD (size, and the check before every write) says so too, though its 403 has no body.
        XCTAssertThrowsError(try retrying.size(of: "job/a")) { error in
            guard case .credentials? = error as? StorageError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try retrying.put("job/a", bytes: [1])) { error in
            guard case .credentials? = error as? StorageError else { return XCTFail("\(error)") }
        }
    }

    func testMissingBucketIsAConfigurationError() throws {
        let store = try S3Store(options: try server.options(bucket: "no-such-bucket"))
        XCTAssertThrowsError(try store.list("job")) { error in
            guard case .configuration? = error as? StorageError else { return XCTFail("\(error)") }
        }
    }

    func testStoppedServerIsATransientError() throws {
        let store = try S3Store(options: S3Store.Options(
            name: "vault", url: "s3://plain", endpoint: "http://127.0.0.1:\(try SSHServer.unusedPort())", region: "us-east-1",
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), connectTimeout: 2))
        XCTAssertThrowsError(try store.size(of: "job/a")) { error in
            guard let error = error as? StorageError, case .remote(_, _, _, 7, _) = error else { return XCTFail("\(error)") }
            XCTAssertFalse(error.isPermanent)
        }
    }

    func testBucketConfigurations() throws {
        let plain = try S3Store(options: try server.options(bucket: "plain"))
        XCTAssertEqual(try plain.bucketConfiguration(), BucketConfiguration(versioning: .off, objectLockEnabled: false))
        let locking = try S3Store(options: try server.options(bucket: "locking"))
        XCTAssertEqual(try locking.bucketConfiguration(), BucketConfiguration(versioning: .enabled, objectLockEnabled: true))
    }

    // MARK: - Object Lock

    /// Compliance lock: every object written carries it; delete is refused with `locked`
    /// (and the object stays listed), a shorter date is never set (and the server refuses
    /// one), a longer one is.
    func testComplianceLock() throws {
        let now = Date()
        let store = try S3Store(options: try server.options(
            bucket: "locking", prefix: "lock-\(UUID())", lock: ObjectLockPolicy(mode: .compliance, days: 1)))
        try store.put("job/m.json", bytes: [1, 2, 3])
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("s3-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: local) }
        try writeRandomFile(local, count: S3Store.minPartSize + 1000)
        _ = try store.putFile("job/a.bin", localPath: local)

        for name in ["job/m.json", "job/a.bin"] {
            guard let retention = try store.retention(of: name) else { return XCTFail("\(name) has no retention") }
            XCTAssertEqual(retention.mode, .compliance)
            XCTAssertEqual(retention.until.timeIntervalSince(now), 86_400, accuracy: 30, name)

            XCTAssertThrowsError(try store.delete(name)) { error in
                guard let error = error as? StorageError, case let .locked(_, lockedName, until) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(lockedName, name)
                XCTAssertEqual(until, retention.until)
                XCTAssertTrue(error.isPermanent)
                XCTAssertTrue(error.description.contains("locked until"), error.description)
            }
            XCTAssertNotNil(try store.size(of: name), "still there")

            // Never shortened: an earlier date leaves the lock as it is...
            XCTAssertEqual(try store.extendRetention(of: name, until: now.addingTimeInterval(3600)), retention)
            XCTAssertEqual(try store.retention(of: name), retention)
            // ... and the server refuses it anyway.
            XCTAssertThrowsError(try store.locked { connection in
                try Locking(store: store, connection: connection).putRetention(
                    name, ObjectRetention(mode: .compliance, until: now.addingTimeInterval(3600)))
            }) { error in
                XCTAssertTrue((error as? StorageError)?.isPermanent == true, "\(error)")
            }
            XCTAssertEqual(try store.retention(of: name), retention)

            let later = now.addingTimeInterval(2 * 86_400)
            let extended = try store.extendRetention(of: name, until: later)
            XCTAssertEqual(extended.mode, .compliance)
            XCTAssertEqual(extended.until.timeIntervalSince1970, later.timeIntervalSince1970.rounded(.down))
            XCTAssertEqual(try store.retention(of: name), extended)
        }
        XCTAssertEqual(try store.list("job").map(\.name), ["job/a.bin", "job/m.json"])
    }

    /// Once its lock has passed, a delete on a versioned bucket removes every version.
    func testDeleteOnceUnlockedRemovesEveryVersion() throws {
        let store = try S3Store(options: try server.options(bucket: "locking", prefix: "expire-\(UUID())"))
        try store.put("job/m.json", bytes: [1])
        let until = Date().addingTimeInterval(3)
        try store.locked { connection in
            try Locking(store: store, connection: connection).putRetention("job/m.json", ObjectRetention(mode: .compliance, until: until))
        }
        XCTAssertThrowsError(try store.delete("job/m.json")) { error in
            guard case .locked? = error as? StorageError else { return XCTFail("\(error)") }
        }
        Thread.sleep(until: until.addingTimeInterval(1.5))
        try store.delete("job/m.json")
        XCTAssertNil(try store.size(of: "job/m.json"))
        let versions = try store.locked { try Locking(store: store, connection: $0).listVersions(of: "job/m.json") }
        XCTAssertEqual(versions.count, 0, "no version and no delete marker left")
        try store.put("job/m.json", bytes: [2])
        XCTAssertEqual(try store.read("job/m.json"), [2])
    }
}
