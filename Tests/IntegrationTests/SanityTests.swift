import Foundation
import XCTest

/// Dump sanity at backup time (`min_bytes`, `max_shrink`, `sanity`): a failed check leaves no
/// snapshot and prunes nothing; with `sanity = "warn"` the snapshot is kept and the problem
/// logged; an empty dump is never a backup, whatever the mode.
final class SanityTests: XCTestCase {
    private func config(_ ws: Workspace, source: String, extra: String, retention: String = "") throws {
        try ws.writeRawConfig(ws.header() + (retention.isEmpty ? "" : "\n[retention]\n\(retention)\n") + "\n"
            + Workspace.commandJob("db", ["cat", source], extra: extra))
    }

    /// Two snapshots exist; retention would keep one; the next dump is less than half the
    /// previous one: the run fails naming max_shrink, no snapshot appears, and both old ones
    /// are still there (a successful run would have pruned one).
    func testShrunkDumpFailsAndPrunesNothing() throws {
        let ws = try Workspace.make(for: self, "shrink")
        let source = ws.path("dump.bin")
        try makeSampleFile(source, randomBytes: 100_000, lines: 10_000)
        try config(ws, source: source, extra: "max_shrink = 0.5")
        let first = try ws.backup("db")
        let second = try ws.backup("db")
        XCTAssertEqual(ws.snapshotIDs("db"), [first, second])

        try makeSampleFile(source, randomBytes: 20_000, lines: 1000)
        try config(ws, source: source, extra: "max_shrink = 0.5", retention: "keep_last = 1")
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "a dump below max_shrink of the previous one fails")
        XCTAssertTrue(r.stderrText.contains("max_shrink"), r.summary)
        XCTAssertTrue(r.stdoutLines.isEmpty, "no snapshot id is printed\n\(r.summary)")
        XCTAssertEqual(ws.snapshotIDs("db"), [first, second], "no new snapshot, nothing pruned")
        XCTAssertEqual(ws.partialFiles(), [])

        // Back to normal size: the run succeeds and retention applies again.
        try makeSampleFile(source, randomBytes: 100_000, lines: 10_000)
        let third = try ws.backup("db")
        XCTAssertEqual(ws.snapshotIDs("db"), [third])
    }

    /// With sanity = "warn", a shrunk dump and one below min_bytes are kept, each with a
    /// warning naming the rule.
    func testWarnModeKeepsTheSnapshot() throws {
        let ws = try Workspace.make(for: self, "warn")
        let source = ws.path("dump.bin")
        try makeSampleFile(source, randomBytes: 100_000, lines: 10_000)
        try config(ws, source: source, extra: "max_shrink = 0.5\nmin_bytes = 50000\nsanity = \"warn\"")
        _ = try ws.backup("db")
        try Files.write(source, "tiny\n")
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 0, "warn mode keeps the run")
        XCTAssertEqual(r.stdoutLines.count, 1, r.summary)
        XCTAssertEqual(ws.snapshotIDs("db").count, 2)
        XCTAssertTrue(r.stderrText.contains("max_shrink") && r.stderrText.contains("min_bytes"), "both rules are named\n\(r.summary)")
        XCTAssertTrue(r.stderrText.contains("sanity = \"warn\""), r.summary)
    }

    /// An empty dump fails even in warn mode.
    func testEmptyDumpFailsEvenInWarnMode() throws {
        let ws = try Workspace.make(for: self, "empty")
        try ws.writeConfig(Workspace.commandJob("db", ["true"], extra: "sanity = \"warn\""))
        let r = try ws.respaldo("backup", "db")
        assertExit(r, 1, "an empty dump is never a backup")
        XCTAssertTrue(r.stderrText.contains("empty"), r.summary)
        XCTAssertEqual(ws.snapshotIDs("db"), [])
        XCTAssertEqual(ws.partialFiles(), [])
    }
}
