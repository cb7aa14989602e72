import Foundation
import TestFixtures
import Storage
import StoreContract
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// SFTPStore: the store contract against a real sshd, plus what only SFTP has (remote modes, a
/// file planted during the upload, the bandwidth limit, cancelling a transfer in flight).
final class SFTPStoreTests: SFTPTestCase {
    // MARK: - The store contract

    /// Each case in a fresh folder of the same server.
    func testStoreContract() throws {
        let server = try XCTUnwrap(self.server)
        StoreContract.run {
            let folder = "case-\(UUID().uuidString)"
            let store = try SFTPStore(options: SFTPStore.Options(
                name: "geo", endpoint: try SFTPEndpoint(server.url + "/" + folder), identityFile: server.clientKey, knownHosts: server.knownHosts,
                connectTimeout: 5, lowSpeedLimit: 1024, lowSpeedTime: 5))
            return StoreSubject(
                store: store,
                plantPartial: { name, bytes in
                    let path = server.remoteRoot + "/" + folder + "/" + name + ".partial"
                    try FileManager.default.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                },
                resumesPartials: true)
        }
    }

    /// Files and folders the store creates are private; the server holds the bytes sent.
    func testModesArePrivate() throws {
        let store = try makeStore()
        let bytes = randomBytes(300_000)
        try store.put("job/a.bin", bytes: bytes)
        XCTAssertEqual(try mode(server.remoteRoot + "/job"), 0o700)
        XCTAssertEqual(try mode(server.remoteRoot + "/job/a.bin"), 0o600)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: server.remoteRoot + "/job/a.bin")), Data(bytes))
    }

    /// Publishing never replaces: a file planted under the final name while the upload ran
    /// makes the rename fail, and the .partial goes.
    func testRenameNeverReplacesAFilePlantedMeanwhile() throws {
        let store = try makeStore()
        try FileManager.default.createDirectory(atPath: server.remoteRoot + "/job", withIntermediateDirectories: true)
        let planted = server.remoteRoot + "/job/p.bin"
        var offset = 0
        let bytes = randomBytes(200_000)
        XCTAssertThrowsError(try store.put("job/p.bin", expectedSize: nil) { buffer in
            if offset == 100_000 { _ = FileManager.default.createFile(atPath: planted, contents: Data([7])) }
            let count = min(buffer.count, 50_000, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }) { error in
            XCTAssertEqual(error as? StorageError, .alreadyExists(location: "geo", name: "job/p.bin"))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: planted)), Data([7]))
        XCTAssertEqual(try store.partials("job"), [])
    }

    func testBandwidthLimitSlowsUploads() throws {
        var options = SFTPStore.Options(
            name: "geo", endpoint: try SFTPEndpoint(server.url), identityFile: server.clientKey, knownHosts: server.knownHosts,
            connectTimeout: 5, lowSpeedLimit: 1024, lowSpeedTime: 5, bandwidthLimit: 1 << 20)
        options.uploadBufferSize = 64 << 10
        let store = try SFTPStore(options: options)
        let started = Date()
        try store.put("job/slow.bin", bytes: randomBytes(2 << 20))
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 1.2, "2 MiB at 1 MiB/s")
    }

    // MARK: - Cancellation

    func testCancelAbortsATransfer() throws {
        let store = try makeStore()
        let consumed = Recorder<Int>()
        let canceller = Thread {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, consumed.values.count < 4 { usleep(1_000) }
            store.cancel()
        }
        canceller.start()
        let started = Date()
        var total = 0
        XCTAssertThrowsError(try store.put("job/endless", expectedSize: nil) { buffer in
            guard total < 1 << 30 else { throw FixtureError("not cancelled") }
            buffer.initializeMemory(as: UInt8.self, repeating: 0xAB)
            total += buffer.count
            consumed.append(buffer.count)
            return buffer.count
        }) { error in
            XCTAssertEqual(error as? StorageError, .cancelled(location: "geo"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(try remoteFiles(), ["job"], "no file, not even the .partial")
        XCTAssertThrowsError(try store.list("job")) { error in
            XCTAssertEqual(error as? StorageError, .cancelled(location: "geo"), "cancellation is final")
        }
    }
}
