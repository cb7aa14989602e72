import Foundation
@testable import Gzip
import Threading
import XCTest

final class ParallelGzipTests: XCTestCase {
    private typealias T = GzipTestSupport
    private static let text = SQLDumpSample.make(bytes: 3_000_000)
    private let kib = 1024

    func testRoundTripThroughDecompressorAndGunzip() throws {
        let gz = try T.parallelGzip(Self.text, threads: 2, blockSize: ParallelGzipCompressor.defaultBlockSize)
        T.assertSameBytes(try T.gunzip(gz), Self.text)
        T.assertSameBytes(try T.gunzipWithBinary(gz), Self.text)
        XCTAssertLessThan(gz.count, Self.text.count / 3, "SQL-like text should compress")
    }

    func testSameBytesForAnyThreadCountAndChunking() throws {
        let data = Array(Self.text.prefix(1_500_000))
        // 32 KiB blocks: ~46 of them, so blocks really are spread over the workers.
        let reference = try T.parallelGzip(data, threads: 1, blockSize: 32 * kib)
        T.assertSameBytes(try T.gunzip(reference), data)
        for threads in [2, 3, 8] {
            for piece in [256 * kib, 4093, 32 * kib, (1 << 20) + 1] {
                let gz = try T.parallelGzip(data, threads: threads, blockSize: 32 * kib, piece: piece)
                T.assertSameBytes(gz, reference, "threads \(threads), piece \(piece)")
            }
        }
    }

    /// The same block scheme as pigz (dictionary, byte alignment, header, trailer), so the same
    /// bytes as `pigz -n` (no name, mtime 0) at the same level and block size.
    func testSameBytesAsPigz() throws {
        let data = Array(Self.text.prefix(2_000_000)) + T.noise(100_000)
        for (level, blockKiB): (Int32, Int) in [(1, 128), (6, 128), (9, 128), (6, 32), (6, 1024)] {
            let gz = try T.parallelGzip(data, level: level, threads: 2, blockSize: blockKiB * kib)
            let pigz = try T.filter(data, through: "/usr/bin/pigz", ["-\(level)", "-n", "-b", "\(blockKiB)", "-p", "2", "-c"])
            T.assertSameBytes(gz, pigz, "level \(level), \(blockKiB) KiB blocks")
        }
    }

    func testEmptyInputIsTheSameAsSingleStreamZlib() throws {
        for threads in [1, 3] {
            let gz = try T.parallelGzip([], threads: threads)
            XCTAssertEqual(gz, try T.zlibGzip([]))
            XCTAssertEqual(try T.gunzip(gz), [])
            XCTAssertEqual(try T.gunzipWithBinary(gz), [])
        }
    }

    /// One block with no dictionary is exactly what single-threaded zlib writes, header and all.
    /// (Not at level 0, where zlib sizes stored blocks by how the input arrives.)
    func testInputSmallerThanABlockIsTheSameAsSingleStreamZlib() throws {
        for level: Int32 in 1...9 {
            for size in [1, 1000, 100_000] {
                let data = Array(Self.text.prefix(size))
                let gz = try T.parallelGzip(data, level: level, blockSize: ParallelGzipCompressor.defaultBlockSize, piece: 777)
                T.assertSameBytes(gz, try T.zlibGzip(data, level: level), "level \(level), size \(size)")
            }
        }
    }

    func testInputOnAndAroundBlockBoundaries() throws {
        let block = 32 * kib
        for size in [block - 1, block, block + 1, 2 * block, 3 * block, 5 * block + 1] {
            let data = Array(Self.text.prefix(size))
            let reference = try T.parallelGzip(data, threads: 1, blockSize: block, piece: block)
            T.assertSameBytes(try T.gunzip(reference), data, "size \(size)")
            T.assertSameBytes(try T.gunzipWithBinary(reference), data, "size \(size)")
            for (threads, piece) in [(3, 1000), (2, size), (4, block + 1)] {
                let gz = try T.parallelGzip(data, threads: threads, blockSize: block, piece: piece)
                T.assertSameBytes(gz, reference, "size \(size), threads \(threads), piece \(piece)")
            }
        }
    }

    func testSizeWithinOnePercentOfSingleStreamZlib() throws {
        let data = SQLDumpSample.make(bytes: 8_000_000, seed: 9)
        let single = try T.zlibGzip(data)
        let parallel = try T.parallelGzip(data, threads: 2, blockSize: ParallelGzipCompressor.defaultBlockSize)
        T.assertSameBytes(try T.gunzip(parallel), data)
        let ratio = Double(parallel.count) / Double(single.count)
        print("8 MB SQL-like at level 6: gzip \(single.count) bytes, parallel \(parallel.count) bytes, ratio \(ratio)")
        XCTAssertLessThanOrEqual(ratio, 1.01)
        XCTAssertGreaterThan(ratio, 0.99)
    }

    func testEveryLevelDecodesWithTheSameHeaderAsSingleStreamZlib() throws {
        let data = Array(Self.text.prefix(1_000_000))
        for level: Int32 in 0...9 {
            let gz = try T.parallelGzip(data, level: level, threads: 2, blockSize: 64 * kib)
            T.assertSameBytes(try T.gunzip(gz), data, "level \(level)")
            XCTAssertEqual(Array(gz.prefix(10)), Array(try T.zlibGzip([1], level: level).prefix(10)), "level \(level)")
        }
        let fast = try T.parallelGzip(data, level: 1), best = try T.parallelGzip(data, level: 9)
        XCTAssertLessThan(best.count, fast.count)
    }

    /// Stored blocks (no gain) take the most room: the output buffers must hold them.
    func testIncompressibleInputRoundTrips() throws {
        let data = T.noise(1_000_000)
        for level: Int32 in [0, 6] {
            let gz = try T.parallelGzip(data, level: level, threads: 2, blockSize: 32 * kib)
            T.assertSameBytes(try T.gunzip(gz), data)
            T.assertSameBytes(try T.gunzipWithBinary(gz), data)
        }
    }

    func testInvalidParametersAreRejected() {
        let cases: [(Int32, Int, Int)] = [(10, 2, 128 * kib), (-1, 2, 128 * kib), (6, 0, 128 * kib),
                                          (6, 2, 32 * kib - 1), (6, 2, (1 << 20) + 1)]
        for (level, threads, blockSize) in cases {
            XCTAssertThrowsError(try ParallelGzipCompressor(level: level, threads: threads, blockSize: blockSize)) { error in
                guard case GzipError.invalidParameter = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testThreadCountIsCappedByTheMemoryBudget() throws {
        for blockSize in [32 * kib, 128 * kib, 1 << 20] {
            let compressor = try ParallelGzipCompressor(threads: 1000, blockSize: blockSize)
            XCTAssertLessThan(compressor.threads, 1000)
            XCTAssertGreaterThanOrEqual(compressor.threads, 2)
            let capacity = RawBlockDeflaterProbe.outputCapacity(blockSize)
            XCTAssertLessThanOrEqual(
                compressor.plan.allocatedBytes(blockSize: blockSize, outputCapacity: capacity), ParallelGzipPlan.memoryBudget)
        }
        let two = try ParallelGzipCompressor(threads: 2)
        XCTAssertEqual(two.threads, 2)
        XCTAssertEqual(two.plan.slotCount, 5, "two blocks in flight per worker, plus the one being filled")
    }

    func testWorkerFailureSurfacesFromUpdateAndStays() throws {
        let compressor = try ParallelGzipCompressor(level: 6, threads: 2, blockSize: 32 * kib) { level throws(GzipError) in
            FailingDeflater(inner: try RawBlockDeflater(level: level), failingBlock: 3)
        }
        let data = Array(Self.text.prefix(40 * 32 * kib))
        var out: [UInt8] = []
        var thrown: (any Error)?
        // The failed block is written out (and its error seen) within a window of blocks.
        for start in stride(from: 0, to: data.count, by: 32 * kib) where thrown == nil {
            do {
                try data[start..<(start + 32 * kib)].withUnsafeBytes { try compressor.update($0, into: &out) }
            } catch {
                thrown = error
            }
        }
        XCTAssertEqual(thrown as? GzipError, FailingDeflater.error)
        XCTAssertThrowsError(try compressor.update(UnsafeRawBufferPointer(start: nil, count: 0), into: &out)) { error in
            XCTAssertEqual(error as? GzipError, FailingDeflater.error)
        }
        XCTAssertThrowsError(try compressor.finish(into: &out)) { error in
            XCTAssertEqual(error as? GzipError, FailingDeflater.error)
        }
    }

    func testFailureOfTheLastBlockSurfacesFromFinish() throws {
        let compressor = try ParallelGzipCompressor(level: 6, threads: 3, blockSize: 32 * kib) { level throws(GzipError) in
            FailingDeflater(inner: try RawBlockDeflater(level: level), failingBlock: 0)
        }
        var out: [UInt8] = []
        try Self.text.prefix(1000).withUnsafeBytes { try compressor.update($0, into: &out) }
        XCTAssertThrowsError(try compressor.finish(into: &out)) { error in
            XCTAssertEqual(error as? GzipError, FailingDeflater.error)
        }
    }

    func testDroppingWithoutFinishJoinsTheWorkers() throws {
        let before = try Self.threadCount()
        XCTAssertEqual(before, 0)
        do {
            let compressor = try ParallelGzipCompressor(threads: 4, blockSize: 32 * kib)
            var out: [UInt8] = []
            try Self.text.prefix(1_000_000).withUnsafeBytes { try compressor.update($0, into: &out) }
            XCTAssertEqual(try Self.threadCount(), before + 4)
            XCTAssertFalse(out.isEmpty)
        }
        XCTAssertEqual(try Self.threadCount(), before, "deinit must join every worker")
        do {
            let compressor = try ParallelGzipCompressor(threads: 3)
            var out: [UInt8] = []
            try compressor.finish(into: &out)
            XCTAssertEqual(try Self.threadCount(), before, "finish stops the workers")
        }
    }

    /// With every worker stalled, update takes exactly as many blocks as there are slots and
    /// then blocks: nothing is buffered beyond the ring.
    func testUpdateBlocksWhileEverySlotIsInFlight() throws {
        let gate = Gate()
        defer { gate.open() }  // never leave a worker stuck, or deinit would wait forever
        let blockSize = 32 * kib
        let compressor = try ParallelGzipCompressor(level: 6, threads: 2, blockSize: blockSize) { level throws(GzipError) in
            GatedDeflater(inner: try RawBlockDeflater(level: level), gate: gate)
        }
        let data = Array(Self.text.prefix(20 * blockSize))
        let progress = Progress()
        let (slotCount, threads) = (compressor.plan.slotCount, compressor.threads)
        let handOff = HandOff(compressor)
        let feeder = Thread {
            let compressor = handOff.take()
            var out: [UInt8] = []
            do {
                for start in stride(from: 0, to: data.count, by: blockSize) {
                    try data[start..<(start + blockSize)].withUnsafeBytes { try compressor.update($0, into: &out) }
                    progress.piecesTaken()
                }
                try compressor.finish(into: &out)
                progress.done(out)
            } catch {
                progress.done([])
            }
        }
        feeder.start()
        let deadline = Date().addingTimeInterval(10)
        while progress.pieces < slotCount && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        // Give it time to take more than it should, if it would.
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(progress.pieces, slotCount)
        XCTAssertLessThanOrEqual(gate.entered, threads)
        gate.open()
        XCTAssertTrue(progress.finished.wait(timeout: .now() + 30) == .success)
        T.assertSameBytes(try T.gunzip(progress.output), data)
    }

    /// Peak RSS while compressing much more than the budget, with far more threads asked for
    /// than fit, on input that does not compress (so every output buffer is fully used).
    func testPeakMemoryStaysWithinTheBudget() throws {
        let noise = T.noise(1 << 20)
        for blockSize in [ParallelGzipCompressor.defaultBlockSize, 1 << 20] {
            let compressor = try ParallelGzipCompressor(level: 1, threads: 64, blockSize: blockSize)
            try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
            let baseline = try Self.statusKiB("VmRSS")
            var out: [UInt8] = []
            out.reserveCapacity(2 << 20)
            var total = 0
            for _ in 0..<48 {
                for start in stride(from: 0, to: noise.count, by: 256 * kib) {
                    try noise[start..<(start + 256 * kib)].withUnsafeBytes { try compressor.update($0, into: &out) }
                    total += out.count
                    out.removeAll(keepingCapacity: true)
                }
            }
            try compressor.finish(into: &out)
            total += out.count
            let growth = try Self.statusKiB("VmHWM") - baseline
            print("block \(blockSize): \(compressor.threads) threads, \(compressor.plan.slotCount) slots, peak RSS +\(growth) KiB for 48 MiB in, \(total) bytes out")
            XCTAssertGreaterThan(total, 48 << 20)
            XCTAssertLessThanOrEqual(growth * 1024, ParallelGzipPlan.memoryBudget + (8 << 20))
        }
    }

    /// Live worker threads of any parallel compressor in this process, by their name (other
    /// threads, such as libdispatch's, come and go on their own).
    private static func threadCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").filter { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == DeflateWorkerPool.threadName
        }.count
    }

    private static func statusKiB(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            if let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                return value
            }
        }
        throw NSError(domain: "no \(field) in /proc/self/status", code: 0)
    }
}

private enum RawBlockDeflaterProbe {
    static func outputCapacity(_ blockSize: Int) -> Int {
        (try? RawBlockDeflater(level: 6).outputBound(forBlockSize: blockSize)) ?? 0
    }
}

/// Fails one block, passes the rest to a real deflater.
private final class FailingDeflater: BlockDeflating {
    static let error = GzipError.compressFailed(code: -2, message: "injected failure")
    private let inner: RawBlockDeflater
    private let failingBlock: Int

    init(inner: RawBlockDeflater, failingBlock: Int) {
        self.inner = inner
        self.failingBlock = failingBlock
    }

    func compress(_ slot: BlockSlot) throws(GzipError) {
        if slot.sequence == failingBlock { throw Self.error }
        try inner.compress(slot)
    }
}

/// Holds every block until the gate opens.
private final class GatedDeflater: BlockDeflating {
    private let inner: RawBlockDeflater
    private let gate: Gate

    init(inner: RawBlockDeflater, gate: Gate) {
        self.inner = inner
        self.gate = gate
    }

    func compress(_ slot: BlockSlot) throws(GzipError) {
        gate.pass()
        try inner.compress(slot)
    }
}

private final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    private var enteredCount = 0

    var entered: Int { condition.withLock { enteredCount } }

    func pass() {
        condition.withLock {
            enteredCount += 1
            while !isOpen { condition.wait() }
        }
    }

    func open() {
        condition.withLock {
            isOpen = true
            condition.broadcast()
        }
    }
}

private final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var result: [UInt8] = []
    let finished = DispatchSemaphore(value: 0)

    var pieces: Int { lock.withLock { count } }
    var output: [UInt8] { lock.withLock { result } }

    func piecesTaken() { lock.withLock { count += 1 } }

    func done(_ output: [UInt8]) {
        lock.withLock { result = output }
        finished.signal()
    }
}
