import Foundation
import Storage
import StoreContract
import Synchronization
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `writeAll`, shared by LocalStore, the atomic file replace, restore to stdout, the drill's
/// tool input and the terminal line. Short writes cannot be forced from here; a pipe far
/// smaller than the data, drained by another thread, makes the writer wait on it many times.
final class WriteAllTests: XCTestCase {
    func testALargeWriteThroughAPipeArrivesWholeAndInOrder() throws {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer { close(readEnd) }
        // 4 MiB through a 64 KiB pipe: the writer has to wait for the reader about 64 times.
        let bytes = randomBytes(4 << 20)
        let received = ReceivedBytes()
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 10_007)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                received.append(buffer[0..<count])
            }
            received.finish()
        }
        reader.start()
        XCTAssertNoThrow(try writeAll(writeEnd, bytes))
        close(writeEnd)
        XCTAssertEqual(received.wait(timeout: 30), .success, "the reader never saw the end of the stream")
        XCTAssertTrue(received.bytes == bytes, "received \(received.bytes.count) bytes, expected \(bytes.count) identical ones")
    }

    func testTheRawBufferFormWritesTheSameBytes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("write-all-\(UUID())").path
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bytes = Array("one\ntwo\n".utf8)
        try bytes.withUnsafeBytes { try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<4])) }
        try bytes.withUnsafeBytes { try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        try writeAll(fd, [])
        close(fd)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), bytes)
    }

    func testAFailedWriteThrowsItsErrno() throws {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        close(ends[0])
        defer { close(ends[1]) }
        // The reading end is closed, as when a drill's tool exits: EPIPE (SIGPIPE is ignored
        // for the moment, as the daemon ignores it, or it would end the test process).
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        XCTAssertThrowsError(try writeAll(ends[1], [1, 2, 3])) { error in
            XCTAssertEqual(error as? WriteFailure, WriteFailure(errno: EPIPE))
            XCTAssertEqual("\(error)", String(cString: strerror(EPIPE)))
        }
        // A descriptor that is not open: EBADF. Linux never hands out a number this high
        // (fs.nr_open is at most 2^30), so no file another thread opens can take it, as it
        // could the number of one closed here.
        let closed = Int32.max
        XCTAssertThrowsError(try writeAll(closed, [1])) { error in
            XCTAssertEqual(error as? WriteFailure, WriteFailure(errno: EBADF))
        }
        // Nothing to write is no write at all, so not an error either.
        XCTAssertNoThrow(try writeAll(closed, []))
    }
}

/// What the reader thread received, and when it saw the end.
private final class ReceivedBytes: Sendable {
    private let storage = Mutex<[UInt8]>([])
    private let done = DispatchSemaphore(value: 0)

    func append(_ piece: ArraySlice<UInt8>) { storage.withLock { $0.append(contentsOf: piece) } }
    func finish() { done.signal() }
    func wait(timeout seconds: Double) -> DispatchTimeoutResult { done.wait(timeout: .now() + seconds) }
    var bytes: [UInt8] { storage.withLock { $0 } }
}
