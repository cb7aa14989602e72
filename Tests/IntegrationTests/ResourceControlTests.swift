import Foundation
import XCTest

/// A job's `nice` and `ionice` apply to its dump process (read back from inside the dump), and
/// the unit gives the service a low CPU and I/O weight while allowing those two calls.
final class ResourceControlTests: XCTestCase {
    /// A command job whose dump is its own nice value and I/O class, as the kernel reports them.
    private static let probe = ["sh", "-c", "echo nice=$(cut -d' ' -f19 /proc/$$/stat); echo io=$(ionice -p $$)"]

    func testNiceAndIoniceApplyToTheDump() throws {
        let ws = try Workspace.make(for: self, "nice")
        try ws.writeConfig(Workspace.commandJob("low", Self.probe, extra: "nice = 15\nionice = \"idle\"")
            + Workspace.commandJob("lower", Self.probe, extra: "ionice = \"best-effort:6\"")
            + Workspace.commandJob("plain", Self.probe))
        func dumped(_ job: String) throws -> String {
            let id = try ws.backup(job)
            let r = try ws.respaldo("restore", id, "--stdout")
            try requireExit(r, 0, "restore \(id)")
            return r.stdoutText
        }
        let low = try dumped("low")
        XCTAssertTrue(low.contains("nice=15") && low.contains("io=idle"), low)
        let lower = try dumped("lower")
        XCTAssertTrue(lower.contains("nice=0") && lower.contains("io=best-effort: prio 6"), lower)
        let plain = try dumped("plain")
        XCTAssertTrue(plain.contains("nice=0") && !plain.contains("idle"), "respaldo itself and other jobs keep their priority: \(plain)")
    }

    func testImpossiblePrioritiesAreConfigurationErrors() throws {
        let ws = try Workspace.make(for: self, "nice-bad")
        try ws.writeConfig(Workspace.commandJob("a", ["echo", "x"], extra: "nice = -5\nionice = \"realtime\""))
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "nice below 0 and the realtime class")
        XCTAssertTrue(r.stderrText.contains("key \"nice\"") && r.stderrText.contains("between 0 and 19"), r.summary)
        XCTAssertTrue(r.stderrText.contains("key \"ionice\"") && r.stderrText.contains("\"realtime\" is not an I/O class"), r.summary)
    }

    func testTheUnitWeighsTheServiceLowAndAllowsLoweringPriorities() throws {
        let text = try String(contentsOfFile: SystemdUnitTests.unit, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { matches($0, "^CPUWeight=[0-9]+$") } && lines.contains { matches($0, "^IOWeight=[0-9]+$") }, text)
        XCTAssertTrue(lines.contains("SystemCallFilter=setpriority ioprio_set"), "nice and ionice need these calls under the filter")
    }
}
