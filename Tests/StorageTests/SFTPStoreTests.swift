import Foundation
import TestFixtures
import Storage
import StoreContract
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// SFTPStore against a real OpenSSH sshd on 127.0.0.1 (see SSHServer). Every curl timeout is
/// a few seconds, so that no test can hang.
final class SFTPStoreTests: XCTestCase {
    private var server: SSHServer!

    override func setUpWithError() throws {
        server = try SSHServer()
    }

    override func tearDownWithError() throws {
        server?.tearDown()
    }

    // MARK: - The store contract

    /// Each case in a fresh folder of the same server.
    func testStoreContract() throws {
        let server = self.server!
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

    // MARK: - Host keys and authentication

    func testPinnedHostKeyWorks() throws {
        let store = try makeStore(hostKeySHA256: "SHA256:" + server.hostKeySHA256)
        try store.put("job/p", bytes: [1])
        XCTAssertEqual(try store.list("job").map(\.name), ["job/p"])
    }

    func testWrongKnownHostsKeyIsRefused() throws {
        let store = try makeStore(knownHosts: server.wrongKnownHosts)
        assertHostKeyError { try store.put("job/a", bytes: [1, 2, 3]) }
        XCTAssertEqual(try remoteFiles(), [], "nothing uploaded")
    }

    func testHostMissingFromKnownHostsIsRefused() throws {
        let empty = server.directory + "/empty_known_hosts"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        let store = try makeStore(knownHosts: empty)
        assertHostKeyError(mentioning: "has no key") { _ = try store.list("") }
    }

    func testWrongPinnedFingerprintIsRefused() throws {
        var wrong = Array(server.hostKeySHA256)
        wrong[10] = wrong[10] == "A" ? "B" : "A"
        let store = try makeStore(hostKeySHA256: String(wrong))
        assertHostKeyError { try store.put("job/a", bytes: [1, 2, 3]) }
        XCTAssertEqual(try remoteFiles(), [], "nothing uploaded")
    }

    func testHostKeyCheckCannotBeSkipped() throws {
        let base = SFTPStore.Options(name: "geo", endpoint: try SFTPEndpoint(server.url), identityFile: server.clientKey)
        XCTAssertThrowsError(try SFTPStore(options: base)) { error in
            XCTAssertTrue("\(error)".contains("known_hosts"), "\(error)")
        }
        var both = base
        both.knownHosts = server.knownHosts
        both.hostKey = try HostKeyFingerprint(server.hostKeySHA256)
        XCTAssertThrowsError(try SFTPStore(options: both))
        // A pin or a URL the store could not use is no Options value at all: refused where it
        // is parsed (SFTPEndpointTests has the rules).
        XCTAssertThrowsError(try HostKeyFingerprint("not-a-fingerprint"))
        XCTAssertThrowsError(try SFTPEndpoint("sftp://127.0.0.1/x"), "no user")
    }

    func testUnauthorizedKeyIsAPermanentAuthenticationError() throws {
        let store = try makeStore(identity: server.strangerKey)
        XCTAssertThrowsError(try store.put("job/a", bytes: [1])) { error in
            guard let error = error as? StorageError else { return XCTFail("\(error)") }
            XCTAssertEqual(error, .authentication(location: "geo", host: "127.0.0.1:\(server.port)"))
            XCTAssertTrue(error.isPermanent)
        }
        XCTAssertEqual(try remoteFiles(), [])
    }

    func testCheckConnectionReportsTheHostKeyAndLeavesNothing() throws {
        let info = try makeStore().checkConnection()
        let pub = try String(contentsOfFile: server.directory + "/host.pub", encoding: .utf8).split(separator: " ")
        XCTAssertEqual(info.hostKeyType, "ssh-ed25519")
        XCTAssertEqual(info.hostKeyBase64, String(pub[1]))
        XCTAssertEqual(info.host, "127.0.0.1:\(server.port)")
        XCTAssertEqual(info.folder, server.remoteRoot)
        XCTAssertEqual(try remoteFiles(), [], "the probe file is removed")

        let pinned = try makeStore(hostKeySHA256: server.hostKeySHA256).checkConnection()
        XCTAssertEqual(pinned.pinnedSHA256, server.hostKeySHA256)
        XCTAssertNil(pinned.hostKeyBase64)
    }

    // MARK: - Resume, failures, retries

    /// The server dies mid-upload: no file under the final name; after a restart the next
    /// putFile continues the .partial and the result is byte-identical.
    func testServerKilledDuringPutFileThenResumed() throws {
        let store = try makeStore()
        let size = 64 << 20
        let local = try localFile(bytes: size)
        let partial = server.remoteRoot + "/job/big.bin.partial"
        let killed = DispatchSemaphore(value: 0)
        let stopped = DispatchSemaphore(value: 0)
        let server = self.server!
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
        let server = self.server!
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
        let server = self.server!
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
        let server = self.server!
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

    // MARK: - Helpers

    private func makeStore(
        knownHosts: String? = nil, hostKeySHA256: String? = nil, identity: String? = nil
    ) throws -> SFTPStore {
        try SFTPStore(options: SFTPStore.Options(
            name: "geo", endpoint: try SFTPEndpoint(server.url), identityFile: identity ?? server.clientKey,
            knownHosts: hostKeySHA256 == nil ? knownHosts ?? server.knownHosts : nil,
            hostKey: try hostKeySHA256.map { try HostKeyFingerprint($0) }, connectTimeout: 5, lowSpeedLimit: 1024, lowSpeedTime: 5))
    }

    private func assertHostKeyError(
        mentioning detail: String? = nil, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? StorageError, case .hostKey = error else {
                return XCTFail("not a host key error: \(error)", file: file, line: line)
            }
            let text = error.description
            XCTAssertTrue(text.contains("host key") && text.contains("127.0.0.1"), text, file: file, line: line)
            if let detail { XCTAssertTrue(text.contains(detail), text, file: file, line: line) }
            XCTAssertTrue(error.isPermanent, file: file, line: line)
        }
    }

    /// Everything under the remote root, relative paths, sorted.
    private func remoteFiles() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: server.remoteRoot).sorted()
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    /// A local file of random bytes in the server's folder (outside the remote root).
    private func localFile(bytes count: Int) throws -> String {
        let path = server.directory + "/local-\(count).bin"
        try Data(randomBytes(count)).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func sha256(_ path: String) throws -> String {
        String(try SSHServer.run("/usr/bin/sha256sum", [path]).prefix(64))
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

/// Values appended from any thread.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value] = []

    func append(_ value: Value) { lock.withLock { storage.append(value) } }
    var values: [Value] { lock.withLock { storage } }
}

/// Passes every call to a real store and counts the calls (attempts, under RetryingStore).
final class CountingStore: Store {
    let inner: any Store
    let calls = Recorder<String>()

    init(_ inner: any Store) { self.inner = inner }

    var location: String { inner.location }

    func put(_ name: String, expectedSize: Int64?, reader: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        calls.append("put")
        try inner.put(name, expectedSize: expectedSize, reader: reader)
    }

    func putFile(_ name: String, localPath: String, progress: ((Int64, Int64) -> Void)?) throws -> PutFileResult {
        calls.append("putFile")
        return try inner.putFile(name, localPath: localPath, progress: progress)
    }

    func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        calls.append("get")
        try inner.get(name, offset: offset, writer: writer)
    }

    func list(_ directory: String) throws -> [StoredObject] {
        calls.append("list")
        return try inner.list(directory)
    }

    func size(of name: String) throws -> Int64? {
        calls.append("size")
        return try inner.size(of: name)
    }

    func delete(_ name: String) throws {
        calls.append("delete")
        try inner.delete(name)
    }

    func partials(_ directory: String) throws -> [StoredObject] {
        calls.append("partials")
        return try inner.partials(directory)
    }
}
