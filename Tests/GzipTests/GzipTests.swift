import Foundation
import Gzip
import XCTest

/// The gzip format end to end: what the backups' compressor (ParallelGzipCompressor) writes,
/// and what GzipDecompressor accepts and refuses.
final class GzipTests: XCTestCase {
    private func compress(_ data: [UInt8], level: Int32 = 6, piece: Int = 4096) throws -> [UInt8] {
        let compressor = try ParallelGzipCompressor(level: level, threads: 2)
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            let end = min(index + piece, data.count)
            try data[index..<end].withUnsafeBytes { try compressor.update($0, into: &out) }
            index = end
        }
        try compressor.finish(into: &out)
        return out
    }

    private func decompress(_ data: [UInt8], piece: Int = 4096) throws -> [UInt8] {
        let decompressor = try GzipDecompressor()
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            let end = min(index + piece, data.count)
            try data[index..<end].withUnsafeBytes { try decompressor.update($0, into: &out) }
            index = end
        }
        try decompressor.finish()
        return out
    }

    private func sampleText(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let line = "INSERT INTO t VALUES (\(generator.next() % 100_000), 'row text');\n"
            out.append(contentsOf: line.utf8)
        }
        return Array(out.prefix(count))
    }

    func testRoundTripAtBoundarySizes() throws {
        for size in [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 7] {
            let data = sampleText(size)
            for piece in [1 << 20, 777] where size < 200_000 || piece > 1000 {
                XCTAssertEqual(try decompress(try compress(data, piece: piece), piece: piece), data, "size \(size)")
            }
        }
    }

    func testHeaderIsDeterministic() throws {
        let data = sampleText(100_000)
        let a = try compress(data, piece: 1000)
        let b = try compress(data, piece: 50_000)
        XCTAssertEqual(a, b)
        // ID1 ID2 CM FLG, MTIME = 0, no FNAME flag.
        XCTAssertEqual(Array(a[0..<4]), [0x1F, 0x8B, 8, 0])
        XCTAssertEqual(Array(a[4..<8]), [0, 0, 0, 0])
    }

    func testReadableByGunzip() throws {
        let data = sampleText(1_000_000)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = dir.appendingPathComponent("x.gz")
        try Data(try compress(data)).write(to: gz)
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", gz.path]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        XCTAssertEqual(gunzip.terminationStatus, 0)
        XCTAssertEqual(Array(out), data)
    }

    func testMultiMemberInputIsConcatenated() throws {
        let a = sampleText(70_000), b = sampleText(5)
        let joined = try compress(a) + compress(b) + compress([])
        XCTAssertEqual(try decompress(joined, piece: 3000), a + b)
    }

    func testCorruptCRCIsRejected() throws {
        var gz = try compress(sampleText(10_000))
        gz[gz.count - 6] ^= 0x01  // inside the CRC-32 trailer
        XCTAssertThrowsError(try decompress(gz)) { error in
            guard case GzipError.corrupt = error else { return XCTFail("\(error)") }
        }
    }

    func testCorruptLengthIsRejected() throws {
        var gz = try compress(sampleText(10_000))
        gz[gz.count - 1] ^= 0x01  // inside ISIZE
        XCTAssertThrowsError(try decompress(gz))
    }

    func testTruncationIsRejected() throws {
        let gz = try compress(sampleText(100_000))
        for cut in [1, 9, gz.count / 2, gz.count - 1] {
            XCTAssertThrowsError(try decompress(Array(gz.prefix(cut))), "cut at \(cut)") { error in
                guard case GzipError.truncated = error else { return XCTFail("cut \(cut): \(error)") }
            }
        }
        XCTAssertThrowsError(try decompress([]))
    }

    func testTrailingGarbageIsRejected() throws {
        let gz = try compress(sampleText(1000)) + Array("garbage".utf8)
        XCTAssertThrowsError(try decompress(gz))
    }

    func testNotGzipIsRejected() throws {
        XCTAssertThrowsError(try decompress(Array("plain text, not gzip".utf8)))
    }

    func testHighlyCompressibleInputDrainsFully() throws {
        // 20 MiB of zeros compresses ~1000:1, so one input chunk yields many output windows.
        let data = [UInt8](repeating: 0, count: 20 << 20)
        XCTAssertEqual(try decompress(try compress(data, piece: 1 << 20), piece: 1 << 20), data)
    }

    /// Zeros deflate about 1000:1: one compressed chunk would become hundreds of MiB. With a
    /// limit, output comes in pieces no larger than the limit plus one 256 KiB window, and
    /// nothing is lost or reordered.
    func testEmittingBoundsTheOutputOfHighlyCompressibleInput() throws {
        let plain = [UInt8](repeating: 0, count: 64 << 20)
        let compressed = try compress(plain, piece: 1 << 20)
        XCTAssertLessThan(compressed.count, 200_000, "zeros compress ~1000:1")
        let decompressor = try GzipDecompressor()
        var pieces: [Int] = []
        var total = 0
        var allZero = true
        var rest: [UInt8] = []
        try compressed.withUnsafeBytes { input in
            try decompressor.update(input, into: &rest, emittingAt: 256 * 1024) { piece in
                pieces.append(piece.count)
                total += piece.count
                allZero = allZero && !piece.contains { $0 != 0 }
            }
        }
        try decompressor.finish()
        total += rest.count
        XCTAssertEqual(total, plain.count)
        XCTAssertTrue(allZero)
        XCTAssertGreaterThan(pieces.count, 100, "the output was handed on in pieces")
        XCTAssertLessThanOrEqual(pieces.max() ?? 0, 512 * 1024, "no piece exceeds the limit plus one window")
    }
}
