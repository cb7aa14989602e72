import Foundation
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
        try Pipeline().run(
            source: { emit in for i in 0..<100 { try emit([UInt8(i)]) } },
            transforms: [Doubler(), HashTap()],
            consumer: { next in while let chunk = try next() { out += chunk } })
        XCTAssertEqual(out, (0..<100).flatMap { [UInt8($0), UInt8($0)] } + [0xFF])
    }

    func testStageFailureCancelsEverythingAndIsThrown() throws {
        // The source would run forever: only cancellation can stop it.
        XCTAssertThrowsError(try Pipeline().run(
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
        XCTAssertThrowsError(try Pipeline().run(
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
        XCTAssertThrowsError(try Pipeline().run(
            source: { emit in while true { try emit([UInt8](repeating: 7, count: 1000)) } },
            transforms: [],
            consumer: { next in
                _ = try next()
                throw Full()
            })
        ) { error in XCTAssertTrue(error is Full) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testBoundedQueueBlocksProducerAtCapacity() throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        try queue.put(1)
        try queue.put(2)
        let third = expectation(description: "third put completes after a take")
        Thread.detachNewThread {
            try? queue.put(3)
            third.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(try queue.take(), 1)
        wait(for: [third], timeout: 5)
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
}
