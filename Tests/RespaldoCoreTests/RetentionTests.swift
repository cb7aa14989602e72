import Foundation
import XCTest

@testable import RespaldoCore

final class RetentionTests: XCTestCase {
    private let utc = TimeZone(identifier: "UTC")!

    /// Snapshots at the given UTC times ("2026-11-21T01:00:00Z").
    private func snapshots(_ times: [String]) -> [(id: String, time: Date)] {
        let formatter = ISO8601DateFormatter()
        return times.map { ("j-\($0)", formatter.date(from: $0)!) }
    }

    private func kept(_ decisions: [Retention.Decision]) -> [String] {
        decisions.filter(\.keep).map { String($0.id.dropFirst(2)) }
    }

    func testEmptyPolicyKeepsEverything() {
        let decisions = Retention.decide(snapshots(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"]), policy: RetentionPolicy(), timeZone: utc)
        XCTAssertEqual(decisions.filter(\.keep).count, 2)
    }

    func testKeepLast() {
        let all = (1...5).map { String(format: "2026-11-%02dT01:00:00Z", $0) }
        let decisions = Retention.decide(snapshots(all), policy: RetentionPolicy(keepLast: 2), timeZone: utc)
        XCTAssertEqual(kept(decisions), ["2026-11-05T01:00:00Z", "2026-11-04T01:00:00Z"])
        XCTAssertEqual(decisions.first?.reasons, ["last"])
    }

    func testKeepDailyTakesNewestOfEachDay() {
        let all = ["2026-11-20T01:00:00Z", "2026-11-20T13:00:00Z", "2026-11-21T01:00:00Z", "2026-11-21T09:00:00Z", "2026-11-19T05:00:00Z"]
        let decisions = Retention.decide(snapshots(all), policy: RetentionPolicy(keepDaily: 2), timeZone: utc)
        XCTAssertEqual(kept(decisions), ["2026-11-21T09:00:00Z", "2026-11-20T13:00:00Z"])
    }

    func testDaysAreCountedInTheConfiguredZone() {
        // 05:30 UTC on the 21st is still the 20th in Mexico City (UTC-6): one day, not two.
        let all = ["2026-11-21T05:30:00Z", "2026-11-20T20:00:00Z"]
        let mexico = TimeZone(identifier: "America/Mexico_City")!
        XCTAssertEqual(kept(Retention.decide(snapshots(all), policy: RetentionPolicy(keepDaily: 5), timeZone: mexico)),
                       ["2026-11-21T05:30:00Z"])
        XCTAssertEqual(kept(Retention.decide(snapshots(all), policy: RetentionPolicy(keepDaily: 5), timeZone: utc)).count, 2)
    }

    func testWeeklyMonthlyYearlyCombineWithReasons() {
        // One snapshot a day at 01:00 for 400 days.
        let start = ISO8601DateFormatter().date(from: "2025-10-01T01:00:00Z")!
        let all = (0..<400).map { (id: "j-\($0)", time: start.addingTimeInterval(Double($0) * 86400)) }
        let policy = RetentionPolicy(keepLast: 1, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 2)
        let decisions = Retention.decide(all, policy: policy, timeZone: utc)
        let keep = decisions.filter(\.keep)
        // The newest is 2026-11-04 (a Wednesday). daily: Oct 29 - Nov 4 (7); weekly adds the
        // Sundays Oct 25 and Oct 18 (Nov 1 is already daily); monthly adds the month-ends Sep 30
        // back to Dec 31 2025 (10; Oct 31 is daily); yearly adds nothing new (Dec 31 2025).
        XCTAssertEqual(keep.count, 7 + 2 + 10)
        XCTAssertEqual(decisions.first?.keep, true)
        XCTAssertTrue(decisions.first!.reasons.contains("last"))
        XCTAssertTrue(decisions.contains { $0.reasons.contains { $0.hasPrefix("yearly 2025") } })
        XCTAssertTrue(decisions.contains { $0.reasons.contains { $0.hasPrefix("weekly ") } })
    }

    func testNewestIsAlwaysKept() {
        // keep_yearly = 1 would keep the newest anyway; keep_daily over an older-day set too.
        let decisions = Retention.decide(snapshots(["2026-11-21T01:00:00Z", "2026-11-20T01:00:00Z"]),
                                         policy: RetentionPolicy(keepMonthly: 1), timeZone: utc)
        XCTAssertEqual(kept(decisions), ["2026-11-21T01:00:00Z"])
        XCTAssertTrue(Retention.decide([], policy: RetentionPolicy(keepLast: 1), timeZone: utc).isEmpty)
    }
}
