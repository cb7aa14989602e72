import Foundation
import XCTest

/// Constant memory on the way back: a dump that deflates ~1000:1 (zeros) is verified down to
/// its plain bytes (gunzip and the plain SHA-256, as restore and drill stream it) with
/// respaldo's peak RSS at most 64 MiB. gunzip used to hand on all the output of one stored
/// chunk at once: hundreds of MiB for such a dump.
final class DecodeMemoryTests: XCTestCase {
    func testHighlyCompressibleDumpDecodesInBoundedMemory() throws {
        let bytes = 300_000_000
        let ws = try Workspace.make(for: self, "zeros")
        try ws.writeConfig(Workspace.commandJob("zeros", ["head", "-c", "\(bytes)", "/dev/zero"]))
        let id = try ws.backup("zeros")
        XCTAssertLessThan(try Files.size(try ws.artifactPath("zeros", id)), 1_000_000, "zeros deflate ~1000:1")

        let r = try Subprocess.run(try Respaldo.argv("verify", config: ws.configPath, [id]), environment: Respaldo.environment(home: ws.root),
                                   timeout: 600, sampleMemory: true)
        assertExit(r, 0, "verify decodes and checks the plain SHA-256")
        XCTAssertTrue(r.stdoutText.contains("dump checked"), r.summary)
        guard let peak = r.peakHWMKiB else { return XCTFail("VmHWM of respaldo was never sampled\n\(r.summary)") }
        print("decode memory: \(bytes)-byte dump of zeros verified in \(String(format: "%.1f", r.seconds)) s, VmHWM \(peak) KiB")
        XCTAssertLessThanOrEqual(peak, 64 * 1024, "respaldo's peak RSS (VmHWM) \(peak) KiB exceeds 64 MiB")
    }
}
