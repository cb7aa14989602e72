import Foundation
import XCTest

@testable import RespaldoCore

/// The rules of `status --check` and the staleness limits, on an injected clock.
final class HealthCheckTests: XCTestCase {
    static let now = Date(timeIntervalSince1970: 1_795_762_800)  // 2026-11-27T07:00:00Z, a Friday
    let utc = TimeZone(identifier: "UTC")!

    func testLimitsFollowTheLongestGapOfTheSchedule() throws {
        XCTAssertEqual(Freshness.limit(of: try Schedule.parse("01:00"), in: utc, now: Self.now), 49 * 3600)
        XCTAssertEqual(Freshness.limit(of: try Schedule.parse("0 * * * *"), in: utc, now: Self.now), 3 * 3600)
        // Weekdays only: the weekend gap (Friday to Monday) counts.
        XCTAssertEqual(Freshness.limit(of: try Schedule.parse("0 1 * * 1-5"), in: utc, now: Self.now), 145 * 3600)
        XCTAssertEqual(Freshness.describe(49 * 3600), "2d 1h")
        XCTAssertEqual(Freshness.describe(45 * 60), "45m")
    }

    private func facts(schedule: String? = "01:00", remotes: [String] = [], state: RunState, locations: [JobFacts.Location]) throws -> JobFacts {
        var job = JobConfig(name: "crm", timeZone: utc, source: .command(argv: ["/bin/true"]))
        job.schedule = try schedule.map(Schedule.parse)
        job.remotes = remotes
        return JobFacts(
            job: job, state: state, stateProblem: nil, locations: locations, pending: [:],
            staleAfter: try schedule.map { Freshness.limit(of: try Schedule.parse($0), in: utc, now: Self.now) },
            drillOverdueAfter: nil, nextRun: nil, nextDrill: nil)
    }

    private func run(hoursAgo: Double, success: Bool = true, result: RunResult? = nil) -> RunRecord {
        let end = Self.now.addingTimeInterval(-hoursAgo * 3600)
        return RunRecord(startedAt: end.addingTimeInterval(-60), finishedAt: end, success: success, snapshot: "crm-x",
                         error: success ? nil : "pg_dump exited 1\nmore", result: result)
    }

    func testHealthyFailedStaleAndNeverUploaded() throws {
        var state = RunState(job: "crm")
        state.recordRun(run(hoursAgo: 6))
        let fresh = JobFacts.Location(name: "local", snapshots: 3, newest: "crm-a", newestAt: Self.now.addingTimeInterval(-6 * 3600))
        XCTAssertEqual(HealthCheck.problems(of: try facts(state: state, locations: [fresh]), now: Self.now), [])

        // 50 h old: two daily runs are missing.
        let old = JobFacts.Location(name: "local", snapshots: 3, newest: "crm-a", newestAt: Self.now.addingTimeInterval(-50 * 3600))
        XCTAssertEqual(HealthCheck.problems(of: try facts(state: state, locations: [old]), now: Self.now),
                       ["newest snapshot in local is 2d 2h old (stale after 2d 1h for schedule \"01:00\")"])
        // Without a schedule nothing says when it should have run.
        XCTAssertEqual(HealthCheck.problems(of: try facts(schedule: nil, state: state, locations: [old]), now: Self.now), [])

        // A good local snapshot that never reached the remote.
        let geo = JobFacts.Location(name: "geo", snapshots: nil)
        XCTAssertEqual(HealthCheck.problems(of: try facts(remotes: ["geo"], state: state, locations: [fresh, geo]), now: Self.now),
                       ["no snapshot on geo yet"])
        var failedUpload = state
        failedUpload.recordUpload(run(hoursAgo: 6, success: false), remote: "geo")
        XCTAssertEqual(HealthCheck.problems(of: try facts(remotes: ["geo"], state: failedUpload, locations: [fresh, geo]), now: Self.now),
                       ["last upload to geo failed at 2026-11-27T01:00:00Z: pg_dump exited 1"])

        var failed = state
        failed.recordRun(run(hoursAgo: 1, success: false))
        XCTAssertEqual(HealthCheck.problems(of: try facts(state: failed, locations: [fresh]), now: Self.now),
                       ["last backup failed at 2026-11-27T06:00:00Z: pg_dump exited 1"])
        // Scheduled and never run.
        XCTAssertEqual(HealthCheck.problems(of: try facts(state: RunState(job: "crm"), locations: [JobFacts.Location(name: "local", snapshots: 0)]), now: Self.now),
                       ["no backup has run yet"])
        // Unscheduled and never run here (a DR host's drill-only job): not judged.
        XCTAssertEqual(HealthCheck.problems(of: try facts(schedule: nil, state: RunState(job: "crm"), locations: []), now: Self.now), [])
    }

    func testDaemonLivenessAndVerdict() {
        let record = DaemonRecord(pid: 4242, startedAt: Self.now.addingTimeInterval(-86400), heartbeatAt: Self.now.addingTimeInterval(-30))
        XCTAssertEqual(DaemonLiveness.of(nil, now: Self.now), .neverStarted)
        XCTAssertEqual(DaemonLiveness.of(record, now: Self.now, isDaemon: { _ in true }), .running)
        XCTAssertEqual(DaemonLiveness.of(record, now: Self.now, isDaemon: { _ in false }), .stopped, "the pid is gone or another program")
        XCTAssertEqual(DaemonLiveness.of(record, now: Self.now.addingTimeInterval(600), isDaemon: { _ in true }), .notResponding)
        var stopped = record
        stopped.stoppedAt = Self.now
        XCTAssertEqual(DaemonLiveness.of(stopped, now: Self.now, isDaemon: { _ in true }), .stopped)
        XCTAssertTrue(DaemonLiveness.isRespaldoDaemon(getpid()) == false, "this test process is not a respaldo daemon")

        XCTAssertNil(HealthCheck.daemonProblem(.stopped, record: record, expected: false), "no schedule: no daemon needed")
        XCTAssertEqual(HealthCheck.daemonProblem(.notResponding, record: record, expected: true),
                       "daemon pid 4242 not responding: last heartbeat 2026-11-27T06:59:30Z")
        XCTAssertEqual(HealthCheck.verdict(problems: [], jobs: 1, daemon: nil), "respaldo OK: 1 job healthy")
        XCTAssertEqual(HealthCheck.verdict(problems: ["crm: a", "web: b"], jobs: 2, daemon: nil), "respaldo CRITICAL: crm: a; web: b")
    }
}
