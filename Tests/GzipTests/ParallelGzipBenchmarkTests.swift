import Foundation
import Gzip
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Throughput and size of ParallelGzipCompressor on SQL-like text, fed in 256 KiB chunks as
/// the pipeline does, each thread count beside one thread, with the gzip and pigz binaries as a
/// yardstick.
/// Opt-in (slow): set RESPALDO_GZIP_BENCH_MB (input size, e.g. 200); optionally
/// RESPALDO_GZIP_BENCH_THREADS (default "1,2"), RESPALDO_GZIP_BENCH_BLOCKS_KIB (default "128")
/// and RESPALDO_GZIP_BENCH_ROUNDS (default 3). Run it in release:
/// `RESPALDO_GZIP_BENCH_MB=200 swift test -c release --filter ParallelGzipBenchmarkTests`.
/// Wall-clock rates depend on what else the machine runs; CPU seconds per run do not.
final class ParallelGzipBenchmarkTests: XCTestCase {
    private struct Run {
        var wall: Double
        var cpu: Double
        var size: Int
    }

    private var report = ""
    private var inputBytes = 0

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
        inputBytes = data.count
        report = "gzip level 6, \(megabytes) MB SQL-like input, \(rounds) rounds, medians:\n"

        for blockSize in blockSizes {
            var single: Double?
            for threads in ([1] + threadCounts.filter { $0 != 1 }) {
                let rate = try record("ParallelGzip threads=\(threads) block=\(blockSize / 1024)K", rounds: rounds) {
                    let compressor = try ParallelGzipCompressor(level: 6, threads: threads, blockSize: blockSize)
                    return try Self.feed(data, update: compressor.update, finish: compressor.finish)
                }
                if let single { report += String(format: "      %.2fx the one-thread wall-clock rate\n", rate / single) }
                single = single ?? rate
            }
        }
        try measureBinaries(data, rounds: rounds, threadCounts: threadCounts, blockSizes: blockSizes)
        print(report)
    }

    /// Compresses `data` once in 256 KiB pieces, draining the output as the pipeline does.
    private static func feed(
        _ data: [UInt8], update: (UnsafeRawBufferPointer, inout [UInt8]) throws -> Void,
        finish: (inout [UInt8]) throws -> Void
    ) throws -> Run {
        var out: [UInt8] = []
        out.reserveCapacity(4 << 20)
        var total = 0
        let cpu = cpuSeconds(RUSAGE_SELF), start = Date()
        try data.withUnsafeBytes { all in
            var index = 0
            while index < all.count {
                let end = min(index + 256 * 1024, all.count)
                try update(UnsafeRawBufferPointer(rebasing: all[index..<end]), &out)
                total += out.count
                out.removeAll(keepingCapacity: true)
                index = end
            }
        }
        try finish(&out)
        total += out.count
        return Run(wall: Date().timeIntervalSince(start), cpu: cpuSeconds(RUSAGE_SELF) - cpu, size: total)
    }

    /// Runs `body` `rounds` times and reports the medians; returns the wall-clock MB/s.
    @discardableResult
    private func record(_ label: String, rounds: Int, _ body: () throws -> Run) rethrows -> Double {
        var runs: [Run] = []
        for _ in 0..<rounds { runs.append(try body()) }
        let wall = runs.map(\.wall).sorted()[rounds / 2], cpu = runs.map(\.cpu).sorted()[rounds / 2]
        let megabytes = Double(inputBytes) / 1e6
        report += "  " + label.padding(toLength: 36, withPad: " ", startingAt: 0)
            + String(format: "%6.1f MB/s wall, %5.1f MB per CPU-second", megabytes / wall, megabytes / cpu)
            + (runs[0].size > 0 ? String(format: ", %d bytes (%.2f%%)", runs[0].size, 100 * Double(runs[0].size) / Double(inputBytes)) : "")
            + "\n"
        return megabytes / wall
    }

    /// gzip and pigz from a file to /dev/null (output size not counted).
    private func measureBinaries(_ data: [UInt8], rounds: Int, threadCounts: [Int], blockSizes: [Int]) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgz-bench-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("dump.sql")
        try Data(data).write(to: input)
        var commands: [(String, String, [String])] = [("gzip -6 (binary)", "/bin/gzip", ["-6", "-n", "-c"])]
        for blockSize in blockSizes {
            for threads in threadCounts {
                commands.append(("pigz -6 -p \(threads) -b \(blockSize / 1024) (binary)", "/usr/bin/pigz",
                                 ["-6", "-n", "-p", "\(threads)", "-b", "\(blockSize / 1024)", "-c"]))
            }
        }
        for (label, tool, arguments) in commands {
            try record(label, rounds: rounds) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: tool)
                process.arguments = arguments + [input.path]
                process.standardOutput = FileHandle.nullDevice
                let cpu = Self.cpuSeconds(RUSAGE_CHILDREN), start = Date()
                try process.run()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0, label)
                return Run(wall: Date().timeIntervalSince(start), cpu: Self.cpuSeconds(RUSAGE_CHILDREN) - cpu, size: 0)
            }
        }
    }

    private static func cpuSeconds(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
