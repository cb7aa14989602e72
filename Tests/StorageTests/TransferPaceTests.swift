@testable import Storage
import XCTest

/// The size-scaled deadline: a trickling peer (just above libcurl's low-speed limit) is cut
/// once it falls behind `grace + bytes / minimumRate`; a fast one never is.
final class TransferPaceTests: XCTestCase {
    final class Clock: @unchecked Sendable {
        var now = 1000.0
    }

    func testTricklingPeerIsCutAfterGracePlusItsBytesWorth() throws {
        let clock = Clock()
        let pace = TransferPace(grace: 90, minimumRate: 32 * 1024, now: { clock.now })
        // 1.2 KB/s, as in the fault report: fine through the grace period...
        var bytes: Int64 = 0
        for _ in 0..<90 {
            clock.now += 1
            bytes += 1200
            XCTAssertNoThrow(try pace.check(bytes: bytes, location: "geo", operation: "download", name: "db/x.manifest.json"))
        }
        // ...then cut within seconds, with a message that names the remote and the rate.
        var failure: (any Error)?
        for _ in 0..<10 where failure == nil {
            clock.now += 1
            bytes += 1200
            do { try pace.check(bytes: bytes, location: "geo", operation: "download", name: "db/x.manifest.json") } catch { failure = error }
        }
        let message = "\(try XCTUnwrap(failure))"
        XCTAssertTrue(message.contains("geo") && message.contains("too slow") && message.contains("B/s"), message)
        XCTAssertFalse((failure as? StorageError)?.isPermanent ?? true, "a slow peer may be faster on a retry")
    }

    func testFastTransferIsNeverCut() throws {
        let clock = Clock()
        let pace = TransferPace(grace: 90, minimumRate: 32 * 1024, now: { clock.now })
        for second in 1...3600 {
            clock.now += 1
            XCTAssertNoThrow(try pace.check(bytes: Int64(second) * 1_000_000, location: "geo", operation: "upload", name: "a"))
        }
    }
}
