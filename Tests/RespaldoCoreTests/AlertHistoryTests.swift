import Foundation
import XCTest

@testable import RespaldoCore

/// The alert rate limit and recoveries, on an injected clock, and what each kind of event says.
final class AlertHistoryTests: XCTestCase {
    static let t0 = Date(timeIntervalSince1970: 1_795_762_800)  // 2026-11-27T07:00:00Z

    func failure(_ kind: OperationKind = .backup, location: String? = nil, error: String, at time: Date) -> AlertEvent {
        AlertEvent.outcome(kind, job: "crm", location: location, error: error, startedAt: time, finishedAt: time.addingTimeInterval(5))
    }

    func success(_ kind: OperationKind = .backup, location: String? = nil, at time: Date) -> AlertEvent {
        AlertEvent.outcome(kind, job: "crm", location: location, snapshot: "crm-20261127T080000Z", error: nil, startedAt: time, finishedAt: time)
    }

    func testRepeatsOfOneFailureAreHeldForAnHourThenCounted() throws {
        var history = AlertHistory(job: "crm")
        let first = try XCTUnwrap(history.admit(failure(error: "backup crm-20261127T070000Z failed: pg_dump exited 1", at: Self.t0), now: Self.t0))
        XCTAssertEqual(first.event.event, .failure)
        XCTAssertEqual(first.event.failingSince, Self.t0)
        XCTAssertEqual(first.event.repeated, 0)

        // The next runs fail the same way (only the snapshot id differs): held back.
        for minutes in [10.0, 20, 59] {
            let at = Self.t0.addingTimeInterval(minutes * 60)
            XCTAssertNil(history.admit(failure(error: "backup crm-20261127T07\(Int(minutes))00Z failed: pg_dump exited 1", at: at), now: at))
        }
        XCTAssertEqual(history.streams["backup"]?.held, 3)
        XCTAssertEqual(history.streams["backup"]?.failures, 4)

        // An hour after the last alert: sent again, saying how many were held back.
        let later = Self.t0.addingTimeInterval(3601)
        let again = try XCTUnwrap(history.admit(failure(error: "backup crm-20261127T080000Z failed: pg_dump exited 1", at: later), now: later))
        XCTAssertEqual(again.event.repeated, 3)
        XCTAssertEqual(again.event.failingSince, Self.t0)
        XCTAssertTrue(again.event.summary.contains("3 more like it not alerted since 2026-11-27T07:00:00Z"), again.event.summary)
        XCTAssertEqual(history.streams["backup"]?.held, 0)

        // Another error is news at once.
        let other = later.addingTimeInterval(60)
        XCTAssertNotNil(history.admit(failure(error: "disk full", at: other), now: other))
    }

    func testFirstSuccessAfterAFailureIsARecoveryAndThenSuccessIsPlain() throws {
        var history = AlertHistory(job: "crm")
        _ = history.admit(failure(.upload, location: "geo", error: "host key verification failed", at: Self.t0), now: Self.t0)
        // Other streams are untouched: another remote, the backup itself.
        let vault = try XCTUnwrap(history.admit(success(.upload, location: "vault", at: Self.t0), now: Self.t0))
        XCTAssertEqual(vault.event.event, .success)
        XCTAssertEqual(history.admit(success(at: Self.t0), now: Self.t0)?.event.event, .success)

        let fixed = Self.t0.addingTimeInterval(7200)
        let recovered = try XCTUnwrap(history.admit(success(.upload, location: "geo", at: fixed), now: fixed))
        XCTAssertEqual(recovered.event.event, .recovered)
        XCTAssertEqual(recovered.event.status, .success)
        XCTAssertEqual(recovered.event.failingSince, Self.t0)
        XCTAssertEqual(recovered.recovers, .uploadFailure)
        XCTAssertEqual(recovered.event.summary, "respaldo: upload of job crm to geo recovered on \(recovered.event.host) (snapshot crm-20261127T080000Z; failing since 2026-11-27T07:00:00Z)")
        XCTAssertEqual(history.admit(success(.upload, location: "geo", at: fixed), now: fixed)?.event.event, .success)
        XCTAssertTrue(history.streams.isEmpty)
    }

    func testRecoveriesReachWhoeverHeardOfTheFailure() {
        let logger = LogCapture().logger()
        func alerter(_ on: Set<AlertStatus>) -> Alerter { Alerter(config: NotifyConfig(webhookURL: "http://127.0.0.1:9/x", on: on), logger: logger) }
        var event = success(at: Self.t0)
        event.event = .recovered
        let fromFailure = AlertHistory.Admitted(event: event, recovers: .failure)
        let fromUpload = AlertHistory.Admitted(event: event, recovers: .uploadFailure)
        XCTAssertTrue(alerter([.failure]).notifies(fromFailure))
        XCTAssertFalse(alerter([.failure]).notifies(fromUpload), "upload failures were not notified, so neither is their end")
        XCTAssertTrue(alerter([.uploadFailure]).notifies(fromUpload))
        XCTAssertTrue(alerter([.success]).notifies(fromUpload))
        XCTAssertFalse(alerter([.failure]).notifies(AlertHistory.Admitted(event: success(at: Self.t0))))
    }

    func testEachKindSaysWhatHappened() {
        let host = "db1"
        func text(_ kind: OperationKind, _ location: String?, error: String?) -> String {
            AlertEvent(kind: kind, job: "crm", status: error == nil ? .success : .failure(of: kind), location: location,
                       snapshot: "crm-1", error: error, host: host, startedAt: Self.t0).summary
        }
        XCTAssertEqual(text(.backup, nil, error: nil), "respaldo: backup of job crm succeeded on db1 (snapshot crm-1)")
        XCTAssertEqual(text(.drill, "geo", error: nil), "respaldo: drill of job crm (geo) passed on db1 (snapshot crm-1)")
        XCTAssertEqual(text(.drill, "local", error: "checks failed\nmore"), "respaldo: drill of job crm (local) failed on db1 (snapshot crm-1): checks failed")
        XCTAssertEqual(text(.upload, "geo", error: "refused"), "respaldo: upload of job crm to geo failed on db1 (snapshot crm-1): refused")
        XCTAssertEqual(text(.prune, "geo", error: "denied"), "respaldo: prune of job crm in geo failed on db1 (snapshot crm-1): denied")
        XCTAssertEqual(text(.verify, "local", error: nil), "respaldo: verify of job crm (local) passed on db1 (snapshot crm-1)")
        XCTAssertEqual(AlertStatus.failure(of: .drill), .verifyFailure)
        XCTAssertEqual(AlertStatus.failure(of: .upload), .uploadFailure)
        XCTAssertEqual(AlertStatus.failure(of: .prune), .failure)
    }

    func testHistoryIsSharedThroughStateDir() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-history-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Two processes in turn (a CLI run, then the daemon): the second sees the first's alert.
        XCTAssertNotNil(try AlertHistory.update(stateDir: dir, job: "crm") { $0.admit(failure(error: "x", at: Self.t0), now: Self.t0) })
        XCTAssertNil(try AlertHistory.update(stateDir: dir, job: "crm") { $0.admit(failure(error: "x", at: Self.t0), now: Self.t0.addingTimeInterval(60)) })
        var info = stat()
        XCTAssertEqual(stat(dir + "/alerts/crm.json", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        // A damaged file starts afresh: one alert too many, never one too few.
        try Data("{".utf8).write(to: URL(fileURLWithPath: dir + "/alerts/crm.json"))
        XCTAssertNotNil(try AlertHistory.update(stateDir: dir, job: "crm") { $0.admit(failure(error: "x", at: Self.t0), now: Self.t0.addingTimeInterval(120)) })
    }
}
