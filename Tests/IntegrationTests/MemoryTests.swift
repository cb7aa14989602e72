import Foundation
import XCTest

/// Scenario 13: constant memory. A 300 MB dump (RESPALDO_IT_DUMP_BYTES to change it) goes
/// through gzip and age with the respaldo process's peak RSS at most 64 MiB.
final class MemoryTests: XCTestCase {
    func testLargeDumpInBoundedMemory() throws {
        let bytes = Int(ProcessInfo.processInfo.environment["RESPALDO_IT_DUMP_BYTES"] ?? "") ?? 300_000_000
        let limitKiB = 64 * 1024
        let ws = try Workspace.make(for: self, "mem")
        let key = try AgeKey.generate(ws.path("key.txt"))
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("big", [
            "sh", "-c", "yes 'INSERT INTO t VALUES (1, some text here);' | head -c \(bytes)",
        ]))

        let r = try Subprocess.run(try Respaldo.argv("backup", config: ws.configPath, ["big"]), environment: Respaldo.environment(home: ws.root), timeout: 900, sampleMemory: true)
        try requireExit(r, 0, "backup of a \(bytes)-byte dump")
        let hwm = r.peakHWMKiB.map { "\($0) KiB" } ?? "not sampled"
        let rate = String(format: "%.1fs, %.0f MB/s", r.seconds, Double(bytes) / r.seconds / 1e6)
        print("memory: \(bytes)-byte dump in \(rate); wait4 ru_maxrss \(r.maxRSSKiB) KiB; /proc VmHWM \(hwm)")
        // The measure is respaldo's own VmHWM, sampled from /proc while it runs. wait4's
        // ru_maxrss is not usable here: a child started by posix_spawn (vfork + exec) starts with
        // the parent's high-water mark, i.e. this test process's RSS.
        guard let peak = r.peakHWMKiB else { return XCTFail("VmHWM of respaldo was never sampled\n\(r.summary)") }
        XCTAssertLessThanOrEqual(peak, limitKiB, "respaldo's peak RSS (VmHWM) \(peak) KiB exceeds 64 MiB")

        guard let id = r.stdoutLines.first else { return XCTFail("no id printed\n\(r.summary)") }
        let plain = try ws.manifest("big", id)["plain"] as? [String: Any]
        XCTAssertEqual(jsonInt(plain?["bytes"]), bytes, "plain.bytes")
        let sha = try Subprocess.bash("yes 'INSERT INTO t VALUES (1, some text here);' | head -c \(bytes) | sha256sum", timeout: 300)
        XCTAssertEqual(jsonString(plain?["sha256"]), String(sha.stdoutText.prefix(64)), "plain.sha256")
        XCTAssertEqual(ws.partialFiles(), [])
    }

    /// Restore and deep verify of a dump that compresses about 1000:1 (zeros): inflate's
    /// output is handed on in bounded pieces, so peak RSS stays at most 64 MiB too.
    func testRestoreOfHighlyCompressibleDumpInBoundedMemory() throws {
        let bytes = 300_000_000
        let ws = try Workspace.make(for: self, "memrestore")
        let key = try AgeKey.generate(ws.path("key.txt"))
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("zeros", ["head", "-c", "\(bytes)", "/dev/zero"]))
        let id = try ws.backup("zeros")
        let output = ws.path("restored.bin")
        for args in [["restore", id, "--identity", key.identityPath, "--output", output], ["verify", id, "--identity", key.identityPath]] {
            let r = try Subprocess.run(try Respaldo.argv(args[0], config: ws.configPath, Array(args.dropFirst())),
                                       environment: Respaldo.environment(home: ws.root), timeout: 600, sampleMemory: true)
            try requireExit(r, 0, args[0])
            let peak = try XCTUnwrap(r.peakHWMKiB, "VmHWM of respaldo \(args[0]) was never sampled")
            print("memory: \(args[0]) of a \(bytes)-byte dump of zeros: VmHWM \(peak) KiB in \(String(format: "%.1f", r.seconds)) s")
            XCTAssertLessThanOrEqual(peak, 64 * 1024, "respaldo \(args[0]) peak RSS \(peak) KiB exceeds 64 MiB")
        }
        XCTAssertEqual(try Files.size(output), bytes)
    }
}
