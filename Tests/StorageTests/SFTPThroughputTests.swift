import Foundation
import TestFixtures
import Storage
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Upload and download throughput of SFTPStore beside the curl command line, on the same file,
/// key and sshd, measured in one run. Opt-in (slow): set RESPALDO_SFTP_BENCH_MB (file size in
/// MB, e.g. 200) and optionally RESPALDO_SFTP_BENCH_ROUNDS (default 5). Prints the medians.
final class SFTPThroughputTests: XCTestCase {
    func testThroughputBesideCurl() throws {
        guard let megabytes = ProcessInfo.processInfo.environment["RESPALDO_SFTP_BENCH_MB"].flatMap(Int.init) else {
            throw XCTSkip("set RESPALDO_SFTP_BENCH_MB to measure")
        }
        let rounds = ProcessInfo.processInfo.environment["RESPALDO_SFTP_BENCH_ROUNDS"].flatMap(Int.init) ?? 5
        let server = try SSHServer()
        defer { server.tearDown() }
        let size = megabytes * 1_000_000
        let local = server.directory + "/bench.bin"
        try writeRandomFile(local, size: size)
        let remote = "sftp://\(server.user)@127.0.0.1:\(server.port)\(server.remoteRoot)"
        let curlBase = ["-sS", "--key", server.clientKey, "--pubkey", "", "--hostpubsha256", server.hostKeySHA256]
        try FileManager.default.createDirectory(atPath: server.remoteRoot + "/bench", withIntermediateDirectories: true)

        var times: [String: [Double]] = [:]
        func measure(_ label: String, _ body: () throws -> Void) rethrows {
            let start = Date()
            try body()
            times[label, default: []].append(Date().timeIntervalSince(start))
        }
        for round in 0..<rounds {
            // A new store each time: its time includes the SSH handshake, as curl's does.
            let store = try SFTPStore(options: .init(
                name: "bench", endpoint: try SFTPEndpoint(server.url), identityFile: server.clientKey,
                hostKey: try HostKeyFingerprint(server.hostKeySHA256)))
            try measure("respaldo putFile") { _ = try store.putFile("bench/r\(round).bin", localPath: local) }
            try measure("curl -T") {
                try SSHServer.run("/usr/bin/curl", curlBase + ["-T", local, remote + "/bench/c\(round).bin"])
            }
            let download = try SFTPStore(options: .init(
                name: "bench", endpoint: try SFTPEndpoint(server.url), identityFile: server.clientKey,
                hostKey: try HostKeyFingerprint(server.hostKeySHA256)))
            let output = server.directory + "/down.bin"
            try measure("respaldo get") {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                defer { close(fd) }
                try download.get("bench/r\(round).bin") { piece in
                    var offset = 0
                    while offset < piece.count {
                        let written = write(fd, piece.baseAddress! + offset, piece.count - offset)
                        guard written > 0 else { throw FixtureError("write: \(errno)") }
                        offset += written
                    }
                }
            }
            XCTAssertEqual(SFTPTestCase.fileSize(output), Int64(size))
            try measure("curl -o") {
                try SSHServer.run("/usr/bin/curl", curlBase + ["-o", output, remote + "/bench/c\(round).bin"])
            }
            XCTAssertEqual(SFTPTestCase.fileSize(output), Int64(size))
            for name in ["r\(round).bin", "c\(round).bin"] {
                try FileManager.default.removeItem(atPath: server.remoteRoot + "/bench/" + name)
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var report = "SFTP throughput, \(megabytes) MB file, \(rounds) rounds, medians (MB/s):\n"
        for label in ["respaldo putFile", "curl -T", "respaldo get", "curl -o"] {
            let values = times[label]!
            let rates = values.map { Double(size) / 1e6 / $0 }.map { String(format: "%.0f", $0) }
            report += String(format: "  %-17@ %6.1f MB/s  (runs: %@)\n", label as NSString,
                             Double(size) / 1e6 / median(values), rates.joined(separator: " ") as NSString)
        }
        let up = median(times["curl -T"]!) / median(times["respaldo putFile"]!)
        let down = median(times["curl -o"]!) / median(times["respaldo get"]!)
        report += String(format: "  upload %.2fx curl, download %.2fx curl\n", up, down)
        print(report)
    }

    private func writeRandomFile(_ path: String, size: Int) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? random.close() }
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, 1 << 20)
            guard let chunk = try random.read(upToCount: count), chunk.count == count else {
                throw FixtureError("short read from /dev/urandom")
            }
            try handle.write(contentsOf: chunk)
            remaining -= count
        }
    }
}
