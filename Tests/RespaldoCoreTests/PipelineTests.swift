import CryptoPrimitives
import Foundation
import Synchronization
import XCTest

@testable import RespaldoCore

final class PipelineTests: XCTestCase {
    private final class Doubler: ChunkTransform {
        func process(_ chunk: [UInt8]) throws -> [UInt8] { chunk + chunk }
        func finish() throws -> [UInt8] { [0xFF] }
    }

    private final class FailAfter: ChunkTransform {
        struct Boom: Error {}
        var remaining: Int
        init(_ count: Int) { remaining = count }
        func process(_ chunk: [UInt8]) throws -> [UInt8] {
            remaining -= 1
            if remaining < 0 { throw Boom() }
            return chunk
        }
        func finish() throws -> [UInt8] { [] }
    }

    func testChunksFlowInOrderThroughEveryStage() throws {
        var out: [UInt8] = []
        try Pipeline(cancellation: CancellationToken()).run(
            source: { emit in for i in 0..<100 { try emit([UInt8(i)]) } },
            transforms: [Doubler(), HashTap()],
            consumer: { next in while let chunk = try next() { out += chunk } })
        XCTAssertEqual(out, (0..<100).flatMap { [UInt8($0), UInt8($0)] } + [0xFF])
    }

    func testStageFailureCancelsEverythingAndIsThrown() throws {
        // The source would run forever: only cancellation can stop it.
        XCTAssertThrowsError(try Pipeline(cancellation: CancellationToken()).run(
            source: { emit in while true { try emit([1, 2, 3]) } },
            transforms: [FailAfter(50)],
            consumer: { next in while try next() != nil {} })
        ) { error in
            XCTAssertTrue(error is FailAfter.Boom, "\(error)")
        }
    }

    func testSourceFailureIsThrownAndFinishIsNotReached() throws {
        struct SourceBroke: Error {}
        var consumed = 0
        XCTAssertThrowsError(try Pipeline(cancellation: CancellationToken()).run(
            source: { emit in
                try emit([1])
                throw SourceBroke()
            },
            transforms: [Doubler()],
            consumer: { next in while try next() != nil { consumed += 1 } })
        ) { error in XCTAssertTrue(error is SourceBroke) }
        // The finishing byte (0xFF) never reaches the consumer: the stream did not end cleanly.
        XCTAssertLessThanOrEqual(consumed, 1)
    }

    func testConsumerFailureStopsTheSource() throws {
        struct Full: Error {}
        let start = Date()
        XCTAssertThrowsError(try Pipeline(cancellation: CancellationToken()).run(
            source: { emit in while true { try emit([UInt8](repeating: 7, count: 1000)) } },
            transforms: [],
            consumer: { next in
                _ = try next()
                throw Full()
            })
        ) { error in XCTAssertTrue(error is Full) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    /// A put into a full queue blocks until a take makes room, then proceeds. Blocked means
    /// seen asleep (the kernel's state for the producer thread) with the put not returned, so
    /// the test assumes nothing about how fast the machine is.
    func testBoundedQueueBlocksProducerAtCapacity() throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        try queue.put(1)
        try queue.put(2)
        let producer = ProducerProbe()
        Thread.detachNewThread {
            producer.started()
            try? queue.put(3)
            producer.returned()
        }
        let thread = try XCTUnwrap(producer.waitUntilStarted(timeout: 30), "the producer thread did not start")
        var state: Character?
        var returned = false
        let deadline = Date().addingTimeInterval(30)
        repeat {
            returned = producer.hasReturned
            state = Self.schedulerState(thread)
            if returned || state == "S" { break }
            usleep(1000)
        } while Date() < deadline
        XCTAssertFalse(returned, "put returned while the queue was full")
        XCTAssertEqual(state, "S", "the producer is not asleep in put (state \(state.map(String.init) ?? "unknown"))")
        XCTAssertEqual(try queue.take(), 1)
        XCTAssertEqual(producer.waitUntilReturned(timeout: 30), .success, "put still blocked after a take made room")
        queue.close()
        XCTAssertEqual(try queue.take(), 2)
        XCTAssertEqual(try queue.take(), 3)
        XCTAssertNil(try queue.take())
    }

    func testExpectingHashTapRejectsMismatches() throws {
        let data: [UInt8] = Array("hello".utf8)
        let digest = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        let good = ExpectingHashTap(what: "plain", bytes: 5, sha256: digest)
        _ = try good.process(data)
        XCTAssertNoThrow(try good.finish())

        let wrongDigest = ExpectingHashTap(what: "plain", bytes: 5, sha256: String(repeating: "0", count: 64))
        _ = try wrongDigest.process(data)
        XCTAssertThrowsError(try wrongDigest.finish())

        let short = ExpectingHashTap(what: "plain", bytes: 6, sha256: digest)
        _ = try short.process(data)
        XCTAssertThrowsError(try short.finish()) { XCTAssertTrue("\($0)".contains("truncated: 5 of 6")) }

        let long = ExpectingHashTap(what: "plain", bytes: 4, sha256: digest)
        XCTAssertThrowsError(try long.process(data))
    }

    /// Each stage is handed to its own thread while the pipeline runs, and back to the caller
    /// once `run` returns: what a stage did there is all visible then.
    func testStagesAreTheCallersAgainOnceRunReturns() throws {
        let doubled = HashTap()
        var out: [UInt8] = []
        try Pipeline(cancellation: CancellationToken()).run(
            source: { emit in for i in 0..<1000 { try emit([UInt8(truncatingIfNeeded: i)]) } },
            transforms: [Doubler(), doubled],
            consumer: { next in while let chunk = try next() { out += chunk } })
        XCTAssertEqual(doubled.byteCount, Int64(out.count))
        XCTAssertEqual(doubled.digest, SHA256.hash(out))
    }

    func testCancellingAQueueWakesAProducerBlockedOnItAndFailsEveryLaterCall() throws {
        let queue = BoundedQueue<Int>(capacity: 1)
        try queue.put(1)
        let blocked = expectation(description: "the blocked put fails once the queue is cancelled")
        Thread.detachNewThread {
            do { try queue.put(2) } catch is PipelineCancelled { blocked.fulfill() } catch {}
        }
        queue.cancel()
        wait(for: [blocked], timeout: 5)
        XCTAssertThrowsError(try queue.take()) { XCTAssertTrue($0 is PipelineCancelled) }
        XCTAssertThrowsError(try queue.put(3)) { XCTAssertTrue($0 is PipelineCancelled) }
    }

    /// A thread's scheduler state from /proc/<pid>/task/<tid>/stat: "S" while it sleeps (on
    /// a condition variable, say), "R" while it runs.
    private static func schedulerState(_ thread: String) -> Character? {
        guard let stat = try? String(contentsOfFile: thread + "/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].first { $0 != " " }
    }
}

/// The producer thread of testBoundedQueueBlocksProducerAtCapacity: its /proc folder, and
/// whether its put returned.
private final class ProducerProbe: Sendable {
    private let thread = Mutex<String?>(nil)
    private let putReturned = Mutex(false)
    private let startSignal = DispatchSemaphore(value: 0)
    private let returnSignal = DispatchSemaphore(value: 0)

    /// Called on the producer thread: /proc/thread-self names it as `<pid>/task/<tid>`.
    func started() {
        let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        thread.withLock { $0 = target.map { "/proc/" + $0 } }
        startSignal.signal()
    }

    func returned() {
        putReturned.withLock { $0 = true }
        returnSignal.signal()
    }

    func waitUntilStarted(timeout seconds: Double) -> String? {
        guard startSignal.wait(timeout: .now() + seconds) == .success else { return nil }
        return thread.withLock { $0 }
    }

    var hasReturned: Bool { putReturned.withLock { $0 } }

    func waitUntilReturned(timeout seconds: Double) -> DispatchTimeoutResult {
        returnSignal.wait(timeout: .now() + seconds)
    }
}
