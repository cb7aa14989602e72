import Foundation
import XCTest

/// `respaldo next`: fire times through the real binary, in each job's zone.
final class NextTests: XCTestCase {
    private func workspace(_ jobs: String, timezone: String = "America/New_York") throws -> Workspace {
        let ws = try Workspace.make(for: self, "next")
        try ws.writeRawConfig(ws.header() + "timezone = \(toml(timezone))\n\n" + jobs)
        return ws
    }

    private static let crm = Workspace.commandJob("crm", ["/bin/true"], extra: "schedule = \"02:30\"")

    func testSpringForwardGapFiresAtItsEnd() throws {
        let ws = try workspace(Self.crm)
        let r = try ws.respaldo("next", "--from", "2027-03-13T12:00:00Z", "--count", "3")
        assertExit(r, 0)
        XCTAssertEqual(r.stdoutText, "2027-03-14T03:00:00-04:00\n2027-03-15T02:30:00-04:00\n2027-03-16T02:30:00-04:00\n", r.summary)
        XCTAssertEqual(r.stderrText, "", r.summary)
    }

    func testSeveralJobsArePrefixedWithTheirNames() throws {
        let ws = try workspace(
            Self.crm
                + Workspace.commandJob("lordhowe", ["/bin/true"], extra: "schedule = \"15 2 * * *\"\ntimezone = \"Australia/Lord_Howe\"")
                + Workspace.commandJob("manual", ["/bin/true"]))
        let r = try ws.respaldo("next", "--from", "2026-10-03T00:00:00Z", "--count", "2")
        assertExit(r, 0)
        XCTAssertEqual(r.stdoutText, """
            crm       2026-10-03T02:30:00-04:00
            crm       2026-10-04T02:30:00-04:00
            lordhowe  2026-10-04T02:30:00+11:00
            lordhowe  2026-10-05T02:15:00+11:00

            """, r.summary)

        // One job named: times only, five by default.
        let one = try ws.respaldo("next", "lordhowe", "--from", "2026-10-03T00:00:00+10:30")
        assertExit(one, 0)
        XCTAssertEqual(one.stdoutLines, [
            "2026-10-03T02:15:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00",
            "2026-10-06T02:15:00+11:00", "2026-10-07T02:15:00+11:00",
        ], one.summary)
    }

    func testJobWithoutScheduleSaysSo() throws {
        let ws = try workspace(Self.crm + Workspace.commandJob("manual", ["/bin/true"]))
        let r = try ws.respaldo("next", "manual")
        assertExit(r, 0)
        XCTAssertEqual(r.stdoutLines, ["job manual has no schedule: it runs only when started by hand"], r.summary)
    }

    func testDefaultStartIsNow() throws {
        let ws = try workspace(Self.crm)
        let before = Date()
        let r = try ws.respaldo("next", "crm", "--count", "1")
        assertExit(r, 0)
        XCTAssertEqual(r.stdoutLines.count, 1, r.summary)
        let line = r.stdoutLines.first ?? ""
        XCTAssertTrue(matches(line, #"^\d{4}-\d\d-\d\dT0[23]:[03]0:00-0[45]:00$"#), line)
        let formatter = ISO8601DateFormatter()
        let fire = try XCTUnwrap(formatter.date(from: line), line)
        XCTAssertGreaterThan(fire, before)
        XCTAssertLessThanOrEqual(fire.timeIntervalSince(before), 25 * 3600)
    }

    func testUsageErrors() throws {
        let ws = try workspace(Self.crm)
        let unknown = try ws.respaldo("next", "nope")
        assertExit(unknown, 2, "an unknown job is a usage error")
        XCTAssertTrue(unknown.stderrText.contains("no job named \"nope\""), unknown.summary)

        let noOffset = try ws.respaldo("next", "--from", "2027-03-13T12:00:00")
        assertExit(noOffset, 2)
        XCTAssertTrue(noOffset.stderrText.contains("--from: \"2027-03-13T12:00:00\" is not an RFC 3339 time: no UTC offset"), noOffset.summary)

        let zero = try ws.respaldo("next", "--count", "0")
        assertExit(zero, 2)
        XCTAssertTrue(zero.stderrText.contains("--count must be between 1 and 10000"), zero.summary)
    }

    func testBadScheduleIsAConfigError() throws {
        let ws = try Workspace.make(for: self, "next")
        let text = ws.header() + "\n" + Workspace.commandJob("crm", ["/bin/true"], extra: "schedule = \"0 25 * * *\"")
        try ws.writeRawConfig(text)
        let r = try ws.respaldo("next")
        assertExit(r, 2)
        let line = lineNumber(of: "schedule =", in: text)
        XCTAssertTrue(
            r.stderrText.contains("\(ws.configPath):\(line): jobs[0] \"crm\": key \"schedule\": cron \"0 25 * * *\": hour 25 out of range 0-23"),
            r.summary)
    }
}
