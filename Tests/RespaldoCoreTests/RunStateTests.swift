import Foundation
import XCTest

@testable import RespaldoCore

final class RunStateTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-runstate-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(atPath: dir) }
    }

    private let t0 = Date(timeIntervalSince1970: 1_763_700_000.123)

    func testRoundTripKeepsEveryFieldAndIsPrivate() throws {
        var state = RunState(job: "crm")
        state.recordRun(RunRecord(
            startedAt: t0, finishedAt: t0.addingTimeInterval(61.5), success: true, snapshot: "crm-20251121T044000Z",
            plainBytes: 123_456_789_012, artifactBytes: 9_876_543_210))
        state.recordRun(RunRecord(startedAt: t0.addingTimeInterval(86400), finishedAt: t0.addingTimeInterval(86401), success: false, error: "pg_dump exited 1"))
        state.recordDrill(RunRecord(startedAt: t0, finishedAt: t0.addingTimeInterval(30), success: false, snapshot: "crm-20251121T044000Z", error: "check failed"))
        try state.save(stateDir: dir)

        let loaded = try RunState.load(stateDir: dir, job: "crm")
        XCTAssertEqual(loaded, state)
        XCTAssertEqual(loaded.lastRun?.success, false)
        XCTAssertEqual(loaded.lastSuccess?.snapshot, "crm-20251121T044000Z", "a failure keeps the last success")
        XCTAssertEqual(loaded.lastSuccessAt, t0.addingTimeInterval(61.5))
        XCTAssertNil(loaded.lastDrillSuccess)
        XCTAssertEqual(try XCTUnwrap(loaded.lastSuccess).durationSeconds, 61.5, accuracy: 0.0005)

        let path = RunState.path(stateDir: dir, job: "crm")
        XCTAssertEqual(path, dir + "/runs/crm.json")
        XCTAssertEqual(mode(path), 0o600)
        XCTAssertEqual(mode(dir + "/runs"), 0o700)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/runs"), ["crm.json"], "no .partial left")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"started_at\" : \"2025-11-21T04:40:00.123Z\""), text)
        XCTAssertTrue(text.contains("\"format\" : \"respaldo-run-state/1\""), text)
    }

    func testMissingFileIsAnEmptyState() throws {
        let state = try RunState.load(stateDir: dir, job: "crm")
        XCTAssertEqual(state, RunState(job: "crm"))
        XCTAssertNil(state.lastRun)
        XCTAssertNil(state.lastSuccessAt)
        XCTAssertEqual(["a", "b"].map { RunState.loadReporting(stateDir: dir, job: $0).state.job }, ["a", "b"])
    }

    /// One job's truncated file is that job's problem only: the others load, and the next
    /// record rebuilds it (the damaged file kept aside as `.corrupt`).
    func testCorruptFileAffectsItsJobOnlyAndIsRebuilt() throws {
        try FileManager.default.createDirectory(atPath: dir + "/runs", withIntermediateDirectories: true)
        var good = RunState(job: "good")
        good.recordRun(RunRecord(startedAt: Date(timeIntervalSince1970: 1_700_000_000), finishedAt: Date(timeIntervalSince1970: 1_700_000_060), success: true))
        try good.save(stateDir: dir)
        let path = RunState.path(stateDir: dir, job: "bad")
        try Data("{\"format\": \"respaldo-run-state/1\", \"job\": \"bad\", \"last_run\": ".utf8).write(to: URL(fileURLWithPath: path))

        let (bad, problem) = RunState.loadReporting(stateDir: dir, job: "bad")
        XCTAssertEqual(bad, RunState(job: "bad"))
        XCTAssertTrue("\(problem.map { "\($0)" } ?? "")".contains(path), "the problem names the file")
        XCTAssertNil(RunState.loadReporting(stateDir: dir, job: "good").problem)
        XCTAssertEqual(RunState.loadReporting(stateDir: dir, job: "good").state, good)

        var rebuilt = false
        let state = try RunState.update(stateDir: dir, job: "bad", onRebuild: { _ in rebuilt = true }) {
            $0.recordRun(RunRecord(startedAt: Date(timeIntervalSince1970: 1_700_000_100), finishedAt: Date(timeIntervalSince1970: 1_700_000_160), success: false, error: "x"))
        }
        XCTAssertTrue(rebuilt)
        XCTAssertEqual(state.lastRun?.success, false)
        XCTAssertEqual(try RunState.load(stateDir: dir, job: "bad"), state)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".corrupt"))
    }

    func testCorruptFilesAreErrorsThatNameThem() throws {
        let path = RunState.path(stateDir: dir, job: "crm")
        try FileManager.default.createDirectory(atPath: dir + "/runs", withIntermediateDirectories: true)
        let cases = [
            "{\"format\": \"respaldo-run-state/1\", \"job\": \"crm\", \"last_run\": ",
            "",
            "{\"job\": \"crm\"}",
            "{\"format\": \"respaldo-run-state/9\", \"job\": \"crm\"}",
            "{\"format\": \"respaldo-run-state/1\", \"job\": \"other\"}",
            "{\"format\": \"respaldo-run-state/1\", \"job\": \"crm\", \"last_run\": {\"started_at\": \"yesterday\", \"finished_at\": \"2025-11-21T04:40:00Z\", \"success\": true}}",
        ]
        for text in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try RunState.load(stateDir: dir, job: "crm"), text) { error in
                guard case let .corrupt(errorPath, _)? = error as? RunStateError else { return XCTFail("\(error)") }
                XCTAssertEqual(errorPath, path)
                XCTAssertTrue("\(error)".contains(path), "\(error)")
            }
        }
    }

    func testJobNamesThatLeaveTheFolderAreRefused() {
        for job in ["", "../etc", "a/b", ".hidden"] {
            XCTAssertThrowsError(try RunState.load(stateDir: dir, job: job)) { XCTAssertEqual($0 as? RunStateError, .invalidJobName(job)) }
        }
    }

    func testConcurrentUpdatesLoseNoRecord() throws {
        // Backups and drills of one job finishing at once: every update must land.
        let count = 40
        let (dir, t0) = (dir!, t0)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let record = RunRecord(startedAt: t0, finishedAt: t0.addingTimeInterval(Double(i)), success: true, plainBytes: Int64(i))
            do {
                try RunState.update(stateDir: dir, job: "crm") { state in
                    // Keep a running sum in artifactBytes of lastRun to detect lost updates.
                    let sum = (state.lastRun?.artifactBytes ?? 0) + 1
                    var run = record
                    run.artifactBytes = sum
                    state.recordRun(run)
                }
            } catch {
                XCTFail("\(error)")
            }
        }
        XCTAssertEqual(try RunState.load(stateDir: dir, job: "crm").lastRun?.artifactBytes, Int64(count))
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }
}
