import Storage
import XCTest

/// Backoff's schedules as data: the three that run (RetryingStore, alert delivery, the
/// daemon's pending uploads) and the edges.
final class BackoffTests: XCTestCase {
    /// A remote's `retry_delay = 5`: RetryingStore doubles it, ±25%.
    func testRetryingStoreSchedule() {
        let backoff = RetryingStore(MemoryStore(), retries: 4, initialDelay: 5).backoff
        XCTAssertEqual(backoff, Backoff(initial: 5, factor: 2, cap: .infinity, jitter: 0.25))
        XCTAssertEqual((1...5).map { backoff.delay(beforeRetry: $0) }, [5, 10, 20, 40, 80])
        var first = SplitMix(seed: 11), second = SplitMix(seed: 11)
        XCTAssertEqual(
            (1...3).map { backoff.jitteredDelay(beforeRetry: $0, using: &first) },
            (1...3).map { backoff.jitteredDelay(beforeRetry: $0, using: &second) }, "the generator is the only randomness")
        var spread: Set<Double> = []
        for retry in 1...4 {
            let plain = backoff.delay(beforeRetry: retry)
            for _ in 0..<50 {
                let delay = backoff.jitteredDelay(beforeRetry: retry)
                XCTAssertTrue((plain * 0.75...plain * 1.25).contains(delay), "retry \(retry): \(delay)")
                spread.insert(delay / plain)
            }
        }
        XCTAssertGreaterThan(spread.count, 100, "each wait is drawn afresh")
        XCTAssertEqual(RetryingStore(MemoryStore(), retries: 1, initialDelay: -3).backoff.initial, 0, "a negative delay is none")
    }

    /// Alert delivery: `retryDelay` (2 s by default), doubled, no jitter.
    func testAlertSchedule() {
        let backoff = Backoff(initial: 2, factor: 2)
        XCTAssertEqual((1...3).map { backoff.delay(beforeRetry: $0) }, [2, 4, 8])
        var generator = SplitMix(seed: 3)
        XCTAssertEqual(backoff.jitteredDelay(beforeRetry: 2, using: &generator), 4, "no jitter")
    }

    /// The daemon's pending uploads: 10 minutes after the first failed round, doubling, at most
    /// 6 hours.
    func testCappedSchedule() {
        let backoff = Backoff(initial: 600, factor: 2, cap: 6 * 3600)
        XCTAssertEqual(
            (1...9).map { backoff.delay(beforeRetry: $0) },
            [600, 1200, 2400, 4800, 9600, 19200, 21600, 21600, 21600])
        XCTAssertEqual(backoff.delay(beforeRetry: 5000), 21600, "the cap holds where the product overflows")
    }

    func testEdges() {
        XCTAssertEqual(Backoff(initial: 0).delay(beforeRetry: 1), 0)
        XCTAssertEqual(Backoff(initial: 0).delay(beforeRetry: 5000), 0, "no wait stays no wait, never NaN")
        XCTAssertEqual(Backoff(initial: 1).delay(beforeRetry: 2000), .infinity, "uncapped doubling overflows as it always did")
        XCTAssertEqual(Backoff(initial: 3).delay(beforeRetry: 0), 3, "retries count from 1")
        XCTAssertEqual(Backoff(initial: 7, factor: 1).delay(beforeRetry: 9), 7, "factor 1 is a fixed poll")
    }
}

/// A seeded generator (SplitMix64), so that a jittered schedule can be drawn twice.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
