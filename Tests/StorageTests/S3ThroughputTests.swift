import Foundation
@testable import Storage
import TestFixtures
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Upload and download throughput of S3Store against SeaweedFS on loopback, beside boto3's
/// `upload_file` / `download_file` at the same part size (16 MiB), on the same file and
/// server in one run, with S3Store's peak RSS during the upload. Opt-in (slow): set
/// RESPALDO_S3_BENCH_MB (file size in MB, e.g. 200) and optionally RESPALDO_S3_BENCH_ROUNDS
/// (default 3). Prints the medians.
final class S3ThroughputTests: XCTestCase {
    func testThroughputBesideBoto3() throws {
        guard let megabytes = ProcessInfo.processInfo.environment["RESPALDO_S3_BENCH_MB"].flatMap(Int.init) else {
            throw XCTSkip("set RESPALDO_S3_BENCH_MB to measure")
        }
        let rounds = ProcessInfo.processInfo.environment["RESPALDO_S3_BENCH_ROUNDS"].flatMap(Int.init) ?? 3
        let server = try SeaweedServer()
        defer { server.tearDown() }
        try server.createBucket("bench")
        let size = megabytes * 1_000_000
        let local = server.directory + "/bench.bin"
        try writeRandomFile(local, count: size)
        let output = server.directory + "/down.bin"
        var options = server.options(bucket: "bench")
        options.partSize = 16 << 20

        var times: [String: [Double]] = [:]
        var peaks: [Int] = []
        var baselines: [Int] = []
        func measure(_ label: String, _ body: () throws -> Void) rethrows {
            let start = Date()
            try body()
            times[label, default: []].append(Date().timeIntervalSince(start))
        }
        for round in 0..<rounds {
            let store = try S3Store(options: options)  // new each time: its time includes the connection
            resetPeakRSS()
            baselines.append(memory("VmRSS:"))
            try measure("respaldo putFile") { _ = try store.putFile("r\(round).bin", localPath: local) }
            peaks.append(memory("VmHWM:"))
            try measure("respaldo get") {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                defer { close(fd) }
                try store.get("r\(round).bin") { piece in
                    var offset = 0
                    while offset < piece.count {
                        let written = write(fd, piece.baseAddress! + offset, piece.count - offset)
                        guard written > 0 else { throw FixtureError("write: \(errno)") }
                        offset += written
                    }
                }
            }
            XCTAssertEqual(try sha256sum(output), try sha256sum(local))
            for threads in [false, true] {
                let label = threads ? "boto3 (10 threads)" : "boto3 (1 thread)"
                let seconds = try boto3(server, local: local, output: output, key: "b\(round)-\(threads).bin", threads: threads)
                times[label + " upload", default: []].append(seconds[0])
                times[label + " download", default: []].append(seconds[1])
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var report = "S3 throughput on SeaweedFS (loopback), \(megabytes) MB file, 16 MiB parts, \(rounds) rounds, medians:\n"
        for label in ["respaldo putFile", "boto3 (1 thread) upload", "boto3 (10 threads) upload",
                      "respaldo get", "boto3 (1 thread) download", "boto3 (10 threads) download"] {
            let values = times[label]!
            let padded = label + String(repeating: " ", count: max(0, 28 - label.count))
            let runs = values.map { String(format: "%.0f", Double(size) / 1e6 / $0) }.joined(separator: " ")
            report += "  \(padded) \(String(format: "%6.1f", Double(size) / 1e6 / median(values))) MB/s  (runs: \(runs))\n"
        }
        report += "  test process RSS before putFile: \(baselines.map { "\($0 >> 10) MiB" }.joined(separator: ", ")); "
            + "peak during it: \(peaks.map { "\($0 >> 10) MiB" }.joined(separator: ", "))\n"
        print(report)
    }

    /// boto3's upload_file then download_file; their seconds.
    private func boto3(_ server: SeaweedServer, local: String, output: String, key: String, threads: Bool) throws -> [Double] {
        let script = """
            import sys, time, boto3
            from boto3.s3.transfer import TransferConfig
            from botocore.config import Config
            endpoint, access, secret, local, output, key, threads = sys.argv[1:8]
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access,
                              aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))
            config = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20, use_threads=threads == "1")
            start = time.monotonic(); s3.upload_file(local, "bench", key, Config=config); up = time.monotonic() - start
            start = time.monotonic(); s3.download_file("bench", key, output, Config=config); down = time.monotonic() - start
            print(up, down)
            """
        let out = try SSHServer.run("/usr/bin/env", ["python3", "-c", script, server.endpoint, server.accessKeyID, server.secretAccessKey,
                                                     local, output, key, threads ? "1" : "0"])
        return out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Resets VmHWM (Linux: 5 to /proc/self/clear_refs).
    private func resetPeakRSS() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// A /proc/self/status field in KiB (VmRSS, VmHWM).
    private func memory(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field) } ?? ""
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }
}
