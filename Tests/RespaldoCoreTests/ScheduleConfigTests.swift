import Foundation
import XCTest

@testable import RespaldoCore

/// Schedules and time zones are checked when the configuration loads, with the line.
final class ScheduleConfigTests: XCTestCase {
    private static let head = """
        local_dir = "/var/backups/respaldo"
        state_dir = "/var/lib/respaldo"
        timezone = "America/New_York"

        """

    /// A command job; `extra` starts on line 8.
    private func job(_ extra: String) -> String {
        Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"command\"\ncommand = [\"/bin/true\"]\n" + extra + "\n"
    }

    private func configError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml", checkFiles: false)
            XCTFail("expected a ConfigError", file: file, line: line)
        } catch {
            return "\(error)"
        }
        return ""
    }

    func testScheduleErrorsNameKeyLineFieldAndValue() {
        XCTAssertEqual(
            configError(job("schedule = \"0 25 * * *\"")),
            "/etc/respaldo/respaldo.toml:8: jobs[0] \"crm\": key \"schedule\": cron \"0 25 * * *\": hour 25 out of range 0-23")
        XCTAssertEqual(
            configError(job("schedule = \"0 0 31 2 *\"")),
            "/etc/respaldo/respaldo.toml:8: jobs[0] \"crm\": key \"schedule\": cron \"0 0 31 2 *\": never matches: "
                + "day-of-month \"31\" never occurs in month \"2\"")
        XCTAssertEqual(
            configError(job("[jobs.drill]\nschedule = \"0 3 * * FUN\"")),
            "/etc/respaldo/respaldo.toml:9: jobs[0] \"crm\": key \"drill.schedule\": cron \"0 3 * * FUN\": day-of-week \"FUN\" is not a number 0-7 or a weekday name (SUN-SAT)")
    }

    func testTimeZoneErrors() {
        XCTAssertTrue(
            configError(job("timezone = \"Mars/Olympus\"")).hasPrefix(
                "/etc/respaldo/respaldo.toml:8: jobs[0] \"crm\": key \"timezone\": \"Mars/Olympus\" is not a known IANA time zone"))
        for fixed in ["UTC+3", "GMT-05:00", "GMT+0530"] {
            let message = configError(job("timezone = \"\(fixed)\""))
            XCTAssertTrue(message.contains(":8: jobs[0] \"crm\": key \"timezone\": \"\(fixed)\" is a fixed offset, not an IANA time zone name"), message)
        }
        let global = configError("local_dir = \"/b\"\nstate_dir = \"/s\"\ntimezone = \"UTC-6\"\n")
        XCTAssertTrue(global.hasPrefix("/etc/respaldo/respaldo.toml:3: key \"timezone\": \"UTC-6\" is a fixed offset"), global)
    }

    func testZonesAndSchedulesOfJobs() throws {
        let text = Self.head + """
            [[jobs]]
            name = "crm"
            source = "command"
            command = ["/bin/true"]
            schedule = " 30 2 * * * "
            [jobs.drill]
            schedule = "0 3 * * SUN"

            [[jobs]]
            name = "mx"
            source = "command"
            command = ["/bin/true"]
            schedule = "01:00"
            timezone = "Etc/GMT-3"

            [[jobs]]
            name = "manual"
            source = "command"
            command = ["/bin/true"]
            timezone = "UTC"
            """
        let config = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml", checkFiles: false)
        let crm = try XCTUnwrap(config.job(named: "crm")), mx = try XCTUnwrap(config.job(named: "mx"))
        let manual = try XCTUnwrap(config.job(named: "manual"))
        XCTAssertEqual(crm.schedule?.text, "30 2 * * *")
        XCTAssertEqual(crm.schedule, try Schedule.parse("30 2 * * *"))
        XCTAssertEqual(crm.drill?.schedule, try Schedule.parse("0 3 * * SUN"))
        XCTAssertNil(mx.drill?.schedule)
        XCTAssertNil(manual.schedule)
        XCTAssertEqual(crm.timeZone.identifier, "America/New_York")
        XCTAssertEqual(mx.timeZone.secondsFromGMT(), 3 * 3600)
        XCTAssertEqual(manual.timeZone.secondsFromGMT(), 0)
        let mxZone = mx.timeZone
        let mxSchedule = try XCTUnwrap(mx.schedule)
        XCTAssertEqual(
            RFC3339.format(mxSchedule.nextFire(after: try instant("2026-11-21T00:00:00Z"), in: mxZone), in: mxZone),
            "2026-11-22T01:00:00+03:00")
    }

    func testAcceptedZoneNames() throws {
        for name in ["UTC", "GMT", "Etc/UTC", "GMT0", "Etc/GMT+5", "US/Eastern", "America/Argentina/Buenos_Aires", "Australia/Lord_Howe"] {
            XCTAssertNoThrow(try Config.parse(text: job("timezone = \"\(name)\""), path: "/x.toml", checkFiles: false), name)
        }
    }
}
