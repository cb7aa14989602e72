import Foundation
import XCTest

/// Opt-in: backup with `upload = "streaming"` to a loopback sshd beside the same backup with
/// no remote, alternating, in one run. The goal (issue 6) is at most 1.15× the local backup.
///   RESPALDO_STREAM_BENCH_FILE=/path/to/dump.sql RESPALDO_STREAM_BENCH_ROUNDS=3 \
///     swift test --filter StreamingUploadBenchmark
final class StreamingUploadBenchmark: XCTestCase {
    func testStreamingUploadBesideLocalOnly() throws {
        let env = ProcessInfo.processInfo.environment
        guard let dump = env["RESPALDO_STREAM_BENCH_FILE"], !dump.isEmpty else {
            throw XCTSkip("set RESPALDO_STREAM_BENCH_FILE to a dump file to run this benchmark")
        }
        let rounds = Int(env["RESPALDO_STREAM_BENCH_ROUNDS"] ?? "") ?? 3
        let setup = try RemoteSetup.make(for: self, "streambench")
        let ws = setup.ws
        let header = ws.header(recipients: [setup.key.recipient]) + "\n" + setup.remote("geo") + "\n"
        let jobs = Workspace.commandJob("localonly", ["cat", dump])
            + Workspace.commandJob("streamed", ["cat", dump], extra: "remotes = [\"geo\"]\nupload = \"streaming\"")
            + Workspace.commandJob("after", ["cat", dump], extra: "remotes = [\"geo\"]")
        try ws.writeRawConfig(header + jobs)
        var times: [String: [Double]] = [:]
        for _ in 0..<rounds {
            for job in ["localonly", "streamed", "after"] {
                let r = try ws.respaldo("backup", job, timeout: 900)
                assertExit(r, 0, "backup \(job)")
                times[job, default: []].append(r.seconds)
                // Keep the disk bounded: only the timing matters here.
                try? FileManager.default.removeItem(atPath: ws.jobDir(job))
                try? FileManager.default.removeItem(atPath: setup.remoteJobDir("geo").replacingOccurrences(of: "/db", with: "/\(job)"))
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let local = median(times["localonly"]!)
        let streamed = median(times["streamed"]!)
        let after = median(times["after"]!)
        print(String(format: "streaming-upload benchmark (%d rounds, medians): local only %.2f s; streaming %.2f s (%.2f×); upload after %.2f s (%.2f×)",
                     rounds, local, streamed, streamed / local, after, after / local))
    }
}
