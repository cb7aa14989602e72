import Foundation
import Gzip
import XCTest

/// Helpers shared by the parallel gzip tests and benchmark.
enum GzipTestSupport {
    /// Feeds `data` to `update` in pieces of `piece` bytes, then finishes.
    static func run(
        _ data: [UInt8], piece: Int,
        update: (UnsafeRawBufferPointer, inout [UInt8]) throws -> Void,
        finish: (inout [UInt8]) throws -> Void
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            let end = min(index + piece, data.count)
            try data[index..<end].withUnsafeBytes { try update($0, &out) }
            index = end
        }
        try finish(&out)
        return out
    }

    /// What single-stream zlib writes for `data` (deflateInit2 with the gzip wrapper, memLevel 8,
    /// the default strategy): the reference the parallel compressor is held to. Python's zlib
    /// module calls the same system libz, so the test target needs no C module of its own.
    static func zlibGzip(_ data: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        let script = """
            import sys, zlib
            stream = zlib.compressobj(int(sys.argv[1]), zlib.DEFLATED, 31, 8, zlib.Z_DEFAULT_STRATEGY)
            sys.stdout.buffer.write(stream.compress(open(sys.argv[2], "rb").read()) + stream.flush())
            """
        return try filter(data, through: "/usr/bin/python3", ["-c", script, "\(level)"])
    }

    static func parallelGzip(
        _ data: [UInt8], level: Int32 = 6, threads: Int = 2, blockSize: Int = 64 * 1024, piece: Int = 256 * 1024
    ) throws -> [UInt8] {
        let compressor = try ParallelGzipCompressor(level: level, threads: threads, blockSize: blockSize)
        return try run(data, piece: piece, update: compressor.update, finish: compressor.finish)
    }

    static func gunzip(_ data: [UInt8]) throws -> [UInt8] {
        let decompressor = try GzipDecompressor()
        return try run(data, piece: 256 * 1024, update: decompressor.update, finish: { _ in try decompressor.finish() })
    }

    /// Decodes with the real gzip binary.
    static func gunzipWithBinary(_ data: [UInt8]) throws -> [UInt8] {
        try filter(data, through: "/bin/gzip", ["-dc"])
    }

    /// Runs `tool arguments file`, file to file (no pipe to fill up), and returns its stdout.
    static func filter(_ data: [UInt8], through tool: String, _ arguments: [String]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgz-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
        try Data(data).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments + [input.path]
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "\(tool) exited with \(process.terminationStatus)", code: Int(process.terminationStatus))
        }
        return Array(try Data(contentsOf: output))
    }

    /// XCTAssertEqual for long byte arrays: reports the first difference, not both arrays.
    static func assertSameBytes(
        _ actual: @autoclosure () throws -> [UInt8], _ expected: @autoclosure () throws -> [UInt8],
        _ message: String = "", file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let a = try actual(), b = try expected()
            guard a != b else { return }
            let index = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("\(message): \(a.count) vs \(b.count) bytes, first difference at \(index)", file: file, line: line)
        } catch {
            XCTFail("\(message): \(error)", file: file, line: line)
        }
    }

    /// Bytes that deflate cannot shrink: a PRNG stream.
    static func noise(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
