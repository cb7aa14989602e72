import Foundation
import Gzip
import XCTest

/// Throughput and size of GzipCompressor beside ParallelGzipCompressor on SQL-like text, fed
/// in 256 KiB chunks as the pipeline does. Opt-in (slow): set RESPALDO_GZIP_BENCH_MB (input
/// size, e.g. 200); optionally RESPALDO_GZIP_BENCH_THREADS (default "1,2"),
/// RESPALDO_GZIP_BENCH_BLOCKS_KIB (default "128") and RESPALDO_GZIP_BENCH_ROUNDS (default 3).
/// Run it in release: `swift test -c release --filter ParallelGzipBenchmarkTests`.
final class ParallelGzipBenchmarkTests: XCTestCase {
    func testThroughputBesideSingleThreadedGzip() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let megabytes = environment["RESPALDO_GZIP_BENCH_MB"].flatMap(Int.init) else {
            throw XCTSkip("set RESPALDO_GZIP_BENCH_MB to measure")
        }
        func list(_ name: String, _ fallback: [Int]) -> [Int] {
            environment[name].map { $0.split(separator: ",").compactMap { Int($0) } } ?? fallback
        }
        let threadCounts = list("RESPALDO_GZIP_BENCH_THREADS", [1, 2])
        let blockSizes = list("RESPALDO_GZIP_BENCH_BLOCKS_KIB", [128]).map { $0 * 1024 }
        let rounds = environment["RESPALDO_GZIP_BENCH_ROUNDS"].flatMap(Int.init) ?? 3
        let data = SQLDumpSample.make(bytes: megabytes * 1_000_000, seed: 2024)
        let piece = 256 * 1024

        /// Compresses `data` once, returning (seconds, compressed bytes).
        func measure(update: (UnsafeRawBufferPointer, inout [UInt8]) throws -> Void,
                     finish: (inout [UInt8]) throws -> Void) throws -> (Double, Int) {
            var out: [UInt8] = []
            out.reserveCapacity(4 << 20)
            var total = 0
            let start = Date()
            try data.withUnsafeBytes { all in
                var index = 0
                while index < all.count {
                    let end = min(index + piece, all.count)
                    try update(UnsafeRawBufferPointer(rebasing: all[index..<end]), &out)
                    total += out.count
                    out.removeAll(keepingCapacity: true)
                    index = end
                }
            }
            try finish(&out)
            total += out.count
            return (Date().timeIntervalSince(start), total)
        }

        var report = "gzip throughput, \(megabytes) MB SQL-like input, level 6, \(rounds) rounds, median:\n"
        func record(_ label: String, _ run: () throws -> (Double, Int)) rethrows -> Double {
            var times: [Double] = []
            var size = 0
            for _ in 0..<rounds {
                let (seconds, bytes) = try run()
                times.append(seconds)
                size = bytes
            }
            let median = times.sorted()[times.count / 2]
            let rate = Double(data.count) / 1e6 / median
            report += String(format: "  %-34@ %7.1f MB/s  %11d bytes (%.2f%% of input)\n",
                              label as NSString, rate, size, 100 * Double(size) / Double(data.count))
            return rate
        }
        let single = try record("GzipCompressor") {
            let compressor = try GzipCompressor(level: 6)
            return try measure(update: compressor.update, finish: compressor.finish)
        }
        for blockSize in blockSizes {
            for threads in threadCounts {
                let rate = try record("ParallelGzip threads=\(threads) block=\(blockSize / 1024)K") {
                    let compressor = try ParallelGzipCompressor(level: 6, threads: threads, blockSize: blockSize)
                    return try measure(update: compressor.update, finish: compressor.finish)
                }
                report += String(format: "    %.2fx GzipCompressor\n", rate / single)
            }
        }
        try measureBinaries(data, rounds: rounds, threadCounts: threadCounts, report: &report)
        print(report)
    }

    /// gzip and pigz on the same input, from a file to /dev/null, as a yardstick taken under the
    /// same machine load (the numbers above mean little without it on a shared machine).
    private func measureBinaries(_ data: [UInt8], rounds: Int, threadCounts: [Int], report: inout String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgz-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("dump.sql")
        try Data(data).write(to: input)
        var commands: [(String, String, [String])] = [("gzip -6", "/bin/gzip", ["-6", "-n", "-c"])]
        for threads in threadCounts {
            commands.append(("pigz -6 -p \(threads)", "/usr/bin/pigz", ["-6", "-n", "-p", "\(threads)", "-c"]))
        }
        for (label, tool, arguments) in commands {
            var times: [Double] = []
            for _ in 0..<rounds {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: tool)
                process.arguments = arguments + [input.path]
                process.standardOutput = FileHandle.nullDevice
                let start = Date()
                try process.run()
                process.waitUntilExit()
                times.append(Date().timeIntervalSince(start))
                XCTAssertEqual(process.terminationStatus, 0, label)
            }
            let median = times.sorted()[times.count / 2]
            report += String(format: "  %-34@ %7.1f MB/s  (binary, file to /dev/null)\n",
                              label as NSString, Double(data.count) / 1e6 / median)
        }
    }
}
