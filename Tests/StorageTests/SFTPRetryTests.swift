import Foundation
import TestFixtures
import Storage
import StoreContract
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// What a dropped connection does to SFTPStore, alone and under RetryingStore: a killed
/// server's upload resumes, transient failures are retried with backoff, permanent ones and
/// consumed readers are not, and a retried get continues where it stopped.
final class SFTPRetryTests: SFTPTestCase {
    /// The server dies mid-upload: no file under the final name; after a restart the next
    /// putFile continues the .partial and the result is byte-identical.
    func testServerKilledDuringPutFileThenResumed() throws {
        let store = try makeStore()
        let size = 64 << 20
        let local = try localFile(bytes: size)
        let partial = server.remoteRoot + "/job/big.bin.partial"
        let killed = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        let server = try XCTUnwrap(self.server)
        let killer = Thread {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, Self.fileSize(partial) < 4 << 20 { usleep(2_000) }
            server.stop()
            killed.signal()
            stopped.signal()
        }
        killer.start()
        var waited = false
        let started = Date()
        XCTAssertThrowsError(try store.putFile("job/big.bin", localPath: local) { sent, _ in
            // Hold the transfer (at most 10 s) until the server is dead, so that it cannot
            // finish first on a fast machine.
            if sent > 24 << 20, !waited {
                waited = true
                _ = killed.wait(timeout: .now() + 10)
            }
        }) { error in
            guard let error = error as? StorageError else { return XCTFail("\(error)") }
            XCTAssertFalse(error.isPermanent, "a dropped connection is transient: \(error)")
        }
        XCTAssertEqual(stopped.wait(timeout: .now() + 30), .success)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.remoteRoot + "/job/big.bin"), "nothing under the final name")
        let kept = Self.fileSize(partial)
        XCTAssertGreaterThan(kept, 0, "the .partial is kept for resuming")
        XCTAssertLessThan(kept, Int64(size))

        try server.start()
        let result = try store.putFile("job/big.bin", localPath: local)
        XCTAssertEqual(result, PutFileResult(bytes: Int64(size), resumedFrom: kept))
        XCTAssertEqual(try sha256(server.remoteRoot + "/job/big.bin"), try sha256(local))
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial))
    }

    func testRetryingStoreRetriesATransientFailure() throws {
        let store = try makeStore()
        try store.put("job/a", bytes: [1, 2, 3])  // an open connection that is about to die
        server.stop()
        let server = try XCTUnwrap(self.server)
        let sleeps = Recorder<Double>()
        let retries = Recorder<Int>()
        let retrying = RetryingStore(store, retries: 3, initialDelay: 2, sleep: { delay in
            sleeps.append(delay)
            if sleeps.values.count == 2 { try? server.start() }  // back after the second failure
        }, onRetry: { retry, error, _ in
            XCTAssertTrue(RetryingStore.isTransient(error), "\(error)")
            retries.append(retry)
        })
        XCTAssertEqual(try retrying.list("job").map(\.name), ["job/a"])
        XCTAssertEqual(retries.values, [1, 2])
        let delays = sleeps.values
        XCTAssertEqual(delays.count, 2)
        XCTAssertTrue((1.5...2.5).contains(delays[0]) && (3...5).contains(delays[1]), "backoff with jitter: \(delays)")
    }

    func testRetryingStoreGivesUpAfterItsRetries() throws {
        let store = try makeStore()
        server.stop()
        let sleeps = Recorder<Double>()
        let retrying = RetryingStore(store, retries: 2, initialDelay: 0.01, sleep: { sleeps.append($0) })
        XCTAssertThrowsError(try retrying.size(of: "job/a")) { error in
            guard case .remote(_, _, _, 7, _)? = error as? StorageError else { return XCTFail("\(error)") }  // couldn't connect
        }
        XCTAssertEqual(sleeps.values.count, 2)
    }

    func testRetryingStoreNeverRetriesAPermanentFailure() throws {
        let counting = CountingStore(try makeStore(identity: server.strangerKey))
        let sleeps = Recorder<Double>()
        let retrying = RetryingStore(counting, retries: 4, initialDelay: 0.01, sleep: { sleeps.append($0) })
        XCTAssertThrowsError(try retrying.list("job")) { error in
            XCTAssertEqual(error as? StorageError, .authentication(location: "geo", host: "127.0.0.1:\(server.port)"))
        }
        XCTAssertEqual(counting.calls.values.count, 1, "one attempt")
        XCTAssertEqual(sleeps.values, [])

        let wrongHost = CountingStore(try makeStore(knownHosts: server.wrongKnownHosts))
        XCTAssertThrowsError(try RetryingStore(wrongHost, retries: 4, initialDelay: 0.01, sleep: { sleeps.append($0) }).size(of: "x"))
        XCTAssertEqual(wrongHost.calls.values.count, 1)
    }

    /// A get that fails mid-stream is continued from the first byte the writer has not seen:
    /// the writer receives every byte exactly once.
    func testRetriedGetContinuesWhereItStopped() throws {
        let store = try makeStore()
        let bytes = randomBytes(8 << 20)
        try store.put("job/g", bytes: bytes)
        let server = try XCTUnwrap(self.server)
        let retrying = RetryingStore(store, retries: 2, initialDelay: 0.01, sleep: { _ in try? server.start() })
        var received: [UInt8] = []
        var killed = false
        try retrying.get("job/g") { piece in
            received.append(contentsOf: piece)
            if received.count > 2 << 20, !killed {
                killed = true
                server.stop()
            }
        }
        XCTAssertTrue(killed)
        XCTAssertTrue(received == bytes, "got \(received.count) bytes, expected \(bytes.count) identical ones")
    }

    func testPutIsNotRetriedOnceTheReaderWasCalled() throws {
        let store = try makeStore()
        let server = try XCTUnwrap(self.server)
        let sleeps = Recorder<Double>()
        let retrying = RetryingStore(store, retries: 3, initialDelay: 0.01, sleep: { sleeps.append($0) })
        var sent = 0
        XCTAssertThrowsError(try retrying.put("job/p", expectedSize: nil) { buffer in
            if sent > 1 << 20 { server.stop() }
            buffer.initializeMemory(as: UInt8.self, repeating: 1)
            sent += buffer.count
            return buffer.count
        })
        XCTAssertEqual(sleeps.values, [], "a consumed reader cannot be replayed")
    }
}
