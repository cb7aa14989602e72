import Foundation
import XCTest
@testable import RespaldoCore

/// The daemon's firing decisions with an injected clock: catch-up, never twice, clock changes,
/// reload.
final class DaemonPlanTests: XCTestCase {
    let zone = TimeZone(identifier: "America/New_York")!

    func config(_ jobs: [(String, String?)], zone: String = "America/New_York") throws -> Config {
        Config(
            path: "/etc/respaldo/respaldo.toml", localDir: "/var/backups/respaldo", stateDir: "/var/lib/respaldo",
            timeZone: try XCTUnwrap(TimeZone(identifier: zone)), encryption: nil, retention: RetentionPolicy(), remotes: [],
            jobs: try jobs.map {
                JobConfig(
                    name: $0.0, schedule: try $0.1.map(Schedule.parse), timeZone: try XCTUnwrap(TimeZone(identifier: zone)),
                    source: .command(argv: ["true"]))
            },
            notify: nil, metrics: nil)
    }

    func date(_ text: String) throws -> Date { try RFC3339.parse(text) }

    func testFreshStartWaitsForTheFirstScheduledTime() throws {
        let now = try date("2026-11-21T12:00:00-05:00")
        var plan = DaemonPlan(config: try config([("crm", "01:00"), ("manual", nil)]), lastSuccessStart: { _ in nil }, now: now)
        XCTAssertEqual(plan.tasks, [DaemonTask(job: "crm", kind: .backup)], "a job without schedule is not planned")
        XCTAssertEqual(plan.nextDeadline, try date("2026-11-22T01:00:00-05:00"))
        XCTAssertEqual(plan.takeDue(now: now), [], "no catch-up without a successful run on record")
    }

    func testOneCatchUpForSeveralMissedDays() throws {
        let now = try date("2026-11-21T12:00:00-05:00")
        let lastSuccess = try date("2026-11-18T01:00:02-05:00")
        var plan = DaemonPlan(config: try config([("crm", "01:00")]), lastSuccessStart: { _ in lastSuccess }, now: now)
        let due = plan.takeDue(now: now)
        XCTAssertEqual(due.count, 1, "three missed days are one catch-up run")
        XCTAssertEqual(due.first?.catchUpOf, try date("2026-11-21T01:00:00-05:00"), "the most recent missed time")
        XCTAssertEqual(plan.takeDue(now: now.addingTimeInterval(60)), [], "never twice")
        XCTAssertEqual(plan.nextDeadline, try date("2026-11-22T01:00:00-05:00"))
    }

    func testNoCatchUpWhenTheLastScheduledRunSucceeded() throws {
        let now = try date("2026-11-21T12:00:00-05:00")
        let lastSuccess = try date("2026-11-21T01:00:00-05:00")
        var plan = DaemonPlan(config: try config([("crm", "01:00")]), lastSuccessStart: { _ in lastSuccess }, now: now)
        XCTAssertEqual(plan.takeDue(now: now), [])
    }

    func testFiresOncePerScheduledTimeAndLateAfterASleep() throws {
        let start = try date("2026-11-21T00:59:00-05:00")
        var plan = DaemonPlan(config: try config([("crm", "01:00")]), lastSuccessStart: { _ in nil }, now: start)
        XCTAssertEqual(plan.takeDue(now: try date("2026-11-21T00:59:59-05:00")), [])
        let fired = plan.takeDue(now: try date("2026-11-21T01:00:00-05:00"))
        XCTAssertEqual(fired.map(\.scheduledAt), [try date("2026-11-21T01:00:00-05:00")])
        XCTAssertEqual(plan.takeDue(now: try date("2026-11-21T01:00:30-05:00")), [])
        // Suspended over the next fire: it runs once on wake-up, not once per missed day.
        let late = plan.takeDue(now: try date("2026-11-24T09:00:00-05:00"))
        XCTAssertEqual(late.count, 1)
        XCTAssertEqual(plan.nextDeadline, try date("2026-11-25T01:00:00-05:00"))
    }

    func testClockSetBackDoesNotRepeatARun() throws {
        let start = try date("2026-11-21T00:30:00-05:00")
        var plan = DaemonPlan(config: try config([("crm", "01:00")]), lastSuccessStart: { _ in nil }, now: start)
        XCTAssertEqual(plan.takeDue(now: try date("2026-11-21T01:00:00-05:00")).count, 1)
        // An NTP step back to 00:40: 01:00 today already ran.
        let back = try date("2026-11-21T00:40:00-05:00")
        plan.clockChanged(now: back)
        XCTAssertEqual(plan.nextDeadline, try date("2026-11-22T01:00:00-05:00"))
        XCTAssertEqual(plan.takeDue(now: try date("2026-11-21T01:00:00-05:00")), [])
    }

    func testClockSetForwardPastAFireRunsItOnce() throws {
        let start = try date("2026-11-21T00:30:00-05:00")
        var plan = DaemonPlan(config: try config([("crm", "01:00")]), lastSuccessStart: { _ in nil }, now: start)
        let jumped = try date("2026-11-21T03:00:00-05:00")
        plan.clockChanged(now: jumped)
        XCTAssertEqual(plan.takeDue(now: jumped).map(\.scheduledAt), [try date("2026-11-21T01:00:00-05:00")])
        XCTAssertEqual(plan.takeDue(now: jumped), [])
    }

    func testDSTFallBackFiresTheRepeatedHourOnce() throws {
        // 2026-11-01 01:30 happens twice in New York.
        let start = try date("2026-11-01T00:00:00-04:00")
        var plan = DaemonPlan(config: try config([("crm", "01:30")]), lastSuccessStart: { _ in nil }, now: start)
        XCTAssertEqual(plan.takeDue(now: try date("2026-11-01T01:30:00-04:00")).count, 1)
        XCTAssertEqual(plan.takeDue(now: try date("2026-11-01T01:30:00-05:00")), [], "the replayed 01:30 does not fire again")
        XCTAssertEqual(plan.nextDeadline, try date("2026-11-02T01:30:00-05:00"))
    }

    func testReloadKeepsUnchangedSchedulesAndPlansNewOnes() throws {
        let now = try date("2026-11-21T12:00:00-05:00")
        let plan = DaemonPlan(config: try config([("crm", "01:00"), ("web", "02:00")]), lastSuccessStart: { _ in nil }, now: now)
        let later = try date("2026-11-21T13:00:00-05:00")
        let reloaded = plan.reloaded(with: try config([("crm", "01:00"), ("files", "*/30 * * * *")]), now: later)
        XCTAssertEqual(reloaded.tasks.map(\.job), ["crm", "files"])
        XCTAssertEqual(reloaded.nextFire(of: DaemonTask(job: "crm", kind: .backup)), try date("2026-11-22T01:00:00-05:00"))
        XCTAssertEqual(reloaded.nextFire(of: DaemonTask(job: "files", kind: .backup)), try date("2026-11-21T13:30:00-05:00"))
    }

    func testDrillSchedulesArePlannedBesideBackups() throws {
        var cfg = try config([("crm", "01:00")])
        cfg.jobs[0].drill = DrillConfig(schedule: try Schedule.parse("0 3 * * 0"))
        let now = try date("2026-11-21T12:00:00-05:00")  // a Saturday
        let plan = DaemonPlan(config: cfg, lastSuccessStart: { _ in nil }, now: now)
        XCTAssertEqual(plan.tasks, [DaemonTask(job: "crm", kind: .backup), DaemonTask(job: "crm", kind: .drill)])
        XCTAssertEqual(plan.nextFire(of: DaemonTask(job: "crm", kind: .drill)), try date("2026-11-22T03:00:00-05:00"))
    }

    func testWakeTimerReachesAWallClockDeadlineAndCanBeWoken() throws {
        let timer = try WakeTimer()
        XCTAssertEqual(timer.wait(until: Date().addingTimeInterval(0.05), timeout: 5), .deadline)
        XCTAssertEqual(timer.wait(until: Date().addingTimeInterval(-1), timeout: 5), .deadline, "a past deadline fires at once")
        XCTAssertEqual(timer.wait(until: nil, timeout: 0.05), .timeout)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { timer.wake() }
        XCTAssertEqual(timer.wait(until: Date().addingTimeInterval(30), timeout: 5), .woken)
    }
}
