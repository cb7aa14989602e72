import Foundation
import XCTest

@testable import RespaldoCore

final class MetricsTextfileTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-metrics-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(atPath: dir) }
    }

    func testExactTextWithHelpAndTypeOncePerNameAndSortedSeries() throws {
        var file = MetricsTextfile()
        try file.add("b_bytes", help: "Bytes.", labels: ["job": "zeta"], value: 1_073_741_824)
        try file.add("a_ok", help: "Line one\nback\\slash \"quoted\".", value: 1)
        try file.add("b_bytes", help: "Bytes.", labels: ["location": "geo", "job": "alpha"], value: 0.25)
        try file.add("b_bytes", help: "Bytes.", labels: ["job": "we\"ird\\na\nme"], value: .nan)
        XCTAssertEqual(file.render(), """
            # HELP a_ok Line one\\nback\\\\slash "quoted".
            # TYPE a_ok gauge
            a_ok 1
            # HELP b_bytes Bytes.
            # TYPE b_bytes gauge
            b_bytes{job="alpha",location="geo"} 0.25
            b_bytes{job="we\\"ird\\\\na\\nme"} NaN
            b_bytes{job="zeta"} 1073741824

            """)
    }

    func testValuesUsePrometheusSpellings() {
        XCTAssertEqual(MetricsTextfile.format(1_763_718_000), "1763718000")
        XCTAssertEqual(MetricsTextfile.format(1_763_718_000.5), "1763718000.5")
        XCTAssertEqual(MetricsTextfile.format(-2), "-2")
        XCTAssertEqual(MetricsTextfile.format(.infinity), "+Inf")
        XCTAssertEqual(MetricsTextfile.format(-.infinity), "-Inf")
        XCTAssertEqual(MetricsTextfile.format(1e300), "1e+300")
    }

    func testInvalidNamesConflictsAndDuplicatesAreRefused() throws {
        var file = MetricsTextfile()
        XCTAssertThrowsError(try file.add("2fast", help: "x", value: 1)) { XCTAssertEqual($0 as? MetricsError, .invalidMetricName("2fast")) }
        XCTAssertThrowsError(try file.add("ok", help: "x", labels: ["bad-label": "1"], value: 1)) {
            XCTAssertEqual($0 as? MetricsError, .invalidLabelName(metric: "ok", label: "bad-label"))
        }
        XCTAssertThrowsError(try file.add("ok", help: "x", labels: ["__name": "1"], value: 1))
        try file.add("ok", help: "x", labels: ["job": "a"], value: 1)
        XCTAssertThrowsError(try file.add("ok", help: "y", labels: ["job": "b"], value: 1)) { XCTAssertEqual($0 as? MetricsError, .conflictingFamily("ok")) }
        XCTAssertThrowsError(try file.add("ok", help: "x", type: .counter, labels: ["job": "b"], value: 1))
        XCTAssertThrowsError(try file.add("ok", help: "x", labels: ["job": "a"], value: 2)) {
            XCTAssertEqual($0 as? MetricsError, .duplicateSample("ok{job=\"a\"}"))
        }
        XCTAssertEqual(file.samples.count, 1)
    }

    /// A realistic file from the builder, checked by Prometheus's own parser and linter.
    func testRespaldoMetricsPassPromtool() throws {
        let path = dir + "/respaldo.prom"
        try realisticMetrics().write(to: path)
        let result = try runTool(["promtool", "check", "metrics"], stdinPath: path, timeout: 60)
        XCTAssertEqual(result.status, 0, result.summary)
        XCTAssertEqual(result.stdout + result.stderr, "", result.summary)

        // The check has teeth: a broken label value is refused.
        let broken = dir + "/broken.prom"
        try Data(try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "job=\"crm\"", with: "job=\"crm").utf8)
            .write(to: URL(fileURLWithPath: broken))
        XCTAssertNotEqual(try runTool(["promtool", "check", "metrics"], stdinPath: broken).status, 0)
    }

    func testBuilderProducesTheRespaldoFamilies() throws {
        let text = try realisticMetrics().render()
        let success = "respaldo_last_success_timestamp_seconds"
        XCTAssertTrue(text.contains("\(success){job=\"crm\"} 1763700000\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_run_timestamp_seconds{job=\"crm\"} 1763786400.5\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_run_success{job=\"crm\"} 0\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_run_duration_seconds{job=\"crm\"} 600.5\n"), text)
        // Sizes are the newest good snapshot's, not the failed run's.
        XCTAssertTrue(text.contains("respaldo_last_plain_bytes{job=\"crm\"} 104857600000\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_artifact_bytes{job=\"crm\"} 9000000000\n"), text)
        XCTAssertTrue(text.contains("respaldo_snapshots{job=\"crm\",location=\"geo\"} 11\n"), text)
        XCTAssertTrue(text.contains("respaldo_pending_uploads{job=\"crm\",remote=\"geo\"} 1\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_drill_success_timestamp_seconds{job=\"crm\"} 1763600000\n"), text)
        // A job that never ran: success time 0 so age alerts fire, no run series, drill 0.
        XCTAssertTrue(text.contains("\(success){job=\"new\"} 0\n"), text)
        XCTAssertFalse(text.contains("respaldo_last_run_success{job=\"new\"}"), text)
        XCTAssertTrue(text.contains("respaldo_last_drill_success_timestamp_seconds{job=\"new\"} 0\n"), text)
        // No drills configured and none run: no drill series.
        XCTAssertFalse(text.contains("respaldo_last_drill_success_timestamp_seconds{job=\"files\"}"), text)
        XCTAssertEqual(text.components(separatedBy: "# HELP respaldo_snapshots ").count, 2, "HELP once per family")

        // Clean numbers: a duration is rounded to the millisecond.
        XCTAssertTrue(text.contains("respaldo_last_run_duration_seconds{job=\"files\"} 5.456\n"), text)
        // A run whose copies failed is not a successful run, though its snapshot is the newest good one.
        XCTAssertTrue(text.contains("respaldo_last_run_success{job=\"copies\"} 0\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_success_timestamp_seconds{job=\"copies\"} 1763700002\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_upload_success{job=\"crm\",remote=\"geo\"} 0\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_upload_success{job=\"crm\",remote=\"dr\"} 1\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_upload_success_timestamp_seconds{job=\"crm\",remote=\"geo\"} 0\n"), text)
        XCTAssertTrue(text.contains("respaldo_last_drill_success{job=\"crm\"} 1\n"), text)
        XCTAssertFalse(text.contains("respaldo_last_drill_success{job=\"new\"}"), "no drill ran: \(text)")
        XCTAssertTrue(text.contains("respaldo_last_verify_success{job=\"crm\",location=\"local\"} 1\n"), text)
        XCTAssertTrue(text.contains("respaldo_newest_snapshot_timestamp_seconds{job=\"crm\",location=\"geo\"} 1763613600\n"), text)
        XCTAssertTrue(text.contains("respaldo_newest_snapshot_timestamp_seconds{job=\"new\",location=\"geo\"} 0\n"), text)
        XCTAssertFalse(text.contains("respaldo_snapshots{job=\"new\",location=\"geo\"}"), "an unknown count is not 0: \(text)")
        XCTAssertTrue(text.contains("respaldo_snapshot_stale_timestamp_seconds{job=\"crm\",location=\"local\"} \(1_763_700_000 + 49 * 3600)\n"), text)
        XCTAssertFalse(text.contains("respaldo_snapshot_stale_timestamp_seconds{job=\"files\""), "no schedule, no limit: \(text)")
        XCTAssertTrue(text.contains("respaldo_drill_overdue_timestamp_seconds{job=\"crm\"} \(1_763_600_000 + 15 * 86400)\n"), text)
        XCTAssertTrue(text.contains("respaldo_build_info{version=\"1.2.3\"} 1\n"), text)
        XCTAssertTrue(text.contains("respaldo_daemon_heartbeat_timestamp_seconds 1763700060\n"), text)
        XCTAssertTrue(text.contains("respaldo_daemon_start_time_seconds 1763700000\n"), text)
        // An unreadable run state: said so, its run series left out rather than zeroed, its
        // folder's series kept.
        XCTAssertTrue(text.contains("respaldo_state_unreadable{job=\"unreadable\"} 1\n"), text)
        XCTAssertTrue(text.contains("respaldo_state_unreadable{job=\"crm\"} 0\n"), text)
        XCTAssertFalse(text.contains("respaldo_last_success_timestamp_seconds{job=\"unreadable\"}"), text)
        XCTAssertTrue(text.contains("respaldo_snapshots{job=\"unreadable\",location=\"local\"} 2\n"), text)
    }

    func testWriteIsAtomicWorldReadableDespiteUmaskAndLeavesNoTemporary() throws {
        let path = dir + "/respaldo.prom"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        let old = umask(0o077)
        defer { umask(old) }
        var file = MetricsTextfile()
        try file.add("respaldo_up", help: "Up.", value: 1)
        try file.write(to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "# HELP respaldo_up Up.\n# TYPE respaldo_up gauge\nrespaldo_up 1\n")
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o644)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["respaldo.prom"])
    }

    func testWriteFailureNamesTheFile() {
        let path = dir + "/missing-folder/respaldo.prom"
        XCTAssertThrowsError(try MetricsTextfile().write(to: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    private func realisticMetrics() throws -> MetricsTextfile {
        let base = Date(timeIntervalSince1970: 1_763_700_000)
        var crm = RunState(job: "crm")
        crm.recordRun(RunRecord(
            startedAt: base.addingTimeInterval(-900), finishedAt: base, success: true, snapshot: "crm-20251121T044500Z",
            plainBytes: 104_857_600_000, artifactBytes: 9_000_000_000))
        crm.recordRun(RunRecord(
            startedAt: base.addingTimeInterval(86400 - 600), finishedAt: base.addingTimeInterval(86400.5), success: false,
            error: "pg_dump exited 1: connection refused"))
        crm.recordDrill(RunRecord(startedAt: base.addingTimeInterval(-100_100), finishedAt: base.addingTimeInterval(-100_000), success: true))
        crm.recordUpload(RunRecord(startedAt: base, finishedAt: base.addingTimeInterval(30), success: true), remote: "dr")
        crm.recordUpload(RunRecord(startedAt: base, finishedAt: base.addingTimeInterval(60), success: false, error: "refused"), remote: "geo")
        crm.recordVerify(RunRecord(startedAt: base, finishedAt: base.addingTimeInterval(5), success: true), location: "local")
        var files = RunState(job: "files")
        // A duration as Date arithmetic gives it: noise past the millisecond.
        files.recordRun(RunRecord(startedAt: base, finishedAt: base.addingTimeInterval(5.455999851226807), success: true, plainBytes: 5000, artifactBytes: 1200))
        var copies = RunState(job: "copies")
        copies.recordRun(RunRecord(startedAt: base, finishedAt: base.addingTimeInterval(2), success: true, snapshot: "copies-20251121T050000Z", result: .uploadFailure))
        return try RespaldoMetrics.textfile(jobs: [
            JobMetricsInput(
                job: "crm", state: crm,
                locations: [.init(name: "local", snapshots: 7, newestAt: base), .init(name: "geo", snapshots: 11, newestAt: base.addingTimeInterval(-86400))],
                pendingUploads: ["geo": 1, "dr": 0], drills: true, staleAfter: 49 * 3600, drillOverdueAfter: 15 * 86400),
            JobMetricsInput(job: "files", state: files, locations: [.init(name: "local", snapshots: 3, newestAt: base)]),
            JobMetricsInput(job: "copies", state: copies, locations: [.init(name: "local", snapshots: 1, newestAt: base)]),
            JobMetricsInput(job: "new", state: RunState(job: "new"), locations: [.init(name: "local", snapshots: 0), .init(name: "geo", snapshots: nil)],
                            pendingUploads: ["geo": 0], drills: true),
            JobMetricsInput(job: "unreadable", state: nil, locations: [.init(name: "local", snapshots: 2, newestAt: base)]),
        ], version: "1.2.3", daemon: DaemonRecord(pid: 42, startedAt: base, heartbeatAt: base.addingTimeInterval(60)))
    }
}
