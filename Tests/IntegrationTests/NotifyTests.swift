import Foundation
import TestFixtures
import XCTest

/// `[notify]` through the binary, against a real HTTP server on 127.0.0.1: each event names
/// its kind and says what happened, usage errors stay quiet, repeats are rate-limited and a
/// recovery is announced.
final class NotifyTests: XCTestCase {
    private var servers: [RecordingServer] = []

    override func tearDown() {
        servers.forEach { $0.stop() }
        servers = []
    }

    /// A workspace whose config (written by `config`) posts to a recording webhook.
    private func hooked(_ label: String) throws -> (Workspace, RecordingServer) {
        let ws = try Workspace.make(for: self, label)
        let server = try RecordingServer.http(directory: ws.root)
        servers.append(server)
        return (ws, server)
    }

    private func notify(_ server: RecordingServer, on: [String]) -> String {
        """

        [notify]
        webhook_url = \(toml("http://127.0.0.1:\(server.port)/hook"))
        on = \(toml(on))

        """
    }

    /// The JSON bodies posted so far.
    private func events(_ server: RecordingServer) throws -> [[String: Any]] {
        try server.entries().map { entry in
            let body = try XCTUnwrap(entry["body"] as? String)
            return try XCTUnwrap(try parseJSON(body, "webhook body") as? [String: Any])
        }
    }

    /// The issue: a passing drill posted "backup of job crm succeeded".
    func testEveryEventNamesItsKindAndADrillSaysDrill() throws {
        let (ws, server) = try hooked("notify-kind")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 500)
        try ws.writeRawConfig(ws.header(recipients: [key.recipient]) + notify(server, on: ["failure", "success", "verify_failure", "upload_failure"])
            + Workspace.commandJob("app", ["cat", small], extra: """
                [jobs.drill]
                restore_command = ["sh", "-c", "cat > /dev/null"]
                """))
        let id = try ws.backup("app")
        let drill = try ws.respaldo("drill", "app", "--identity", key.identityPath)
        assertExit(drill, 0, "drill")

        let posted = try events(server)
        XCTAssertEqual(posted.count, 2, "one event per command: \(posted)")
        guard posted.count == 2 else { return }
        let backup = posted[0], drilled = posted[1]
        for event in posted {
            XCTAssertEqual(event["format"] as? String, "respaldo-alert/1", "\(event)")
            XCTAssertEqual(event["job"] as? String, "app")
            // The fields receivers already read stay.
            for field in ["status", "snapshot", "error", "host", "started_at", "finished_at", "text"] {
                XCTAssertNotNil(event[field], "field \(field) is kept: \(event)")
            }
        }
        XCTAssertEqual(backup["kind"] as? String, "backup")
        XCTAssertEqual(backup["event"] as? String, "success")
        XCTAssertEqual(backup["status"] as? String, "success")
        XCTAssertEqual(backup["snapshot"] as? String, id)
        XCTAssertTrue((backup["text"] as? String ?? "").contains("backup of job app succeeded"), "\(backup)")

        XCTAssertEqual(drilled["kind"] as? String, "drill")
        XCTAssertEqual(drilled["event"] as? String, "success")
        XCTAssertEqual(drilled["snapshot"] as? String, id)
        let text = drilled["text"] as? String ?? ""
        XCTAssertTrue(text.contains("drill of job app (local) passed"), text)
        XCTAssertFalse(text.contains("backup"), "a drill's text must not speak of a backup: \(text)")
    }

    /// The issue: a drill without --identity (exit 2) posted verify_failure and recorded FAILED.
    func testUsageErrorsNeitherAlertNorCountAsFailedRuns() throws {
        let (ws, server) = try hooked("notify-usage")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 500)
        try ws.writeRawConfig(ws.header(recipients: [key.recipient]) + notify(server, on: ["failure", "verify_failure", "upload_failure"])
            + Workspace.commandJob("app", ["cat", small], extra: """
                [jobs.drill]
                restore_command = ["sh", "-c", "cat > /dev/null"]
                """))
        _ = try ws.backup("app")
        let drill = try ws.respaldo("drill", "app")
        assertExit(drill, 2, "an encrypted snapshot and no identity is a usage error")
        XCTAssertTrue(drill.stderrText.contains("--identity"), drill.summary)
        let afterDrill = try events(server)
        XCTAssertEqual(afterDrill.count, 0, "a usage error alerts nobody: \(afterDrill)")

        // No drill happened, so none is on record (`status` shows the record).
        let record = try XCTUnwrap(try parseJSON(String(decoding: try Files.read(ws.stateDir + "/runs/app.json"), as: UTF8.self), "run state") as? [String: Any])
        XCTAssertNil(record["last_drill"], "\(record)")
        XCTAssertNotNil(record["last_run"], "\(record)")

        // A backup whose job name does not exist is a usage error too.
        assertExit(try ws.respaldo("backup", "nosuchjob"), 2)
        XCTAssertEqual(try events(server).count, 0)
    }

    /// The issue: repeated failures alerted every time, with no "recovered" message.
    func testRepeatedFailuresAreRateLimitedAndARecoveryIsAnnounced() throws {
        let (ws, server) = try hooked("notify-repeat")
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 500)
        let broken = ws.path("broken")
        try Files.write(broken, "")
        try ws.writeRawConfig(ws.header() + notify(server, on: ["failure"]) + Workspace.commandJob("app", [
            "sh", "-c", "if [ -e \"$0\" ]; then echo 'database at 10.0.0.7 is down' >&2; exit 3; fi; cat \"$1\"", broken, small,
        ]))

        assertExit(try ws.respaldo("backup", "app"), 1, "the dump fails")
        var posted = try events(server)
        XCTAssertEqual(posted.count, 1)
        XCTAssertEqual(posted.first?["kind"] as? String, "backup")
        XCTAssertEqual(posted.first?["event"] as? String, "failure")
        XCTAssertEqual(posted.first?["status"] as? String, "failure")

        // The same failure again within the hour: recorded and logged, not alerted.
        let again = try ws.respaldo("backup", "app")
        assertExit(again, 1, "still failing")
        let afterRepeat = try events(server)
        XCTAssertEqual(afterRepeat.count, 1, "a repeat within the hour is not alerted: \(afterRepeat)")
        XCTAssertTrue(again.stderrText.contains("not alerted again"), again.summary)

        // An hour later (the history in state_dir is shared by every process, so it is aged
        // there), the still-failing job alerts once more and says how many repeats were held.
        try ageAlertHistory(ws, job: "app", by: 3700)
        assertExit(try ws.respaldo("backup", "app"), 1)
        posted = try events(server)
        XCTAssertEqual(posted.count, 2)
        XCTAssertEqual(posted.last?["event"] as? String, "failure")
        XCTAssertEqual(posted.last?["repeated"] as? Int, 1, "\(posted.last ?? [:])")

        // The first success after the failure is announced as a recovery, even with on = ["failure"].
        try FileManager.default.removeItem(atPath: broken)
        let id = try ws.backup("app")
        posted = try events(server)
        XCTAssertEqual(posted.count, 3, "\(posted)")
        let recovered = posted.last ?? [:]
        XCTAssertEqual(recovered["event"] as? String, "recovered")
        XCTAssertEqual(recovered["status"] as? String, "success")
        XCTAssertEqual(recovered["kind"] as? String, "backup")
        XCTAssertEqual(recovered["snapshot"] as? String, id)
        XCTAssertTrue((recovered["text"] as? String ?? "").contains("backup of job app recovered"), "\(recovered)")
        XCTAssertNotNil(recovered["failing_since"] as? String, "\(recovered)")

        // Back to normal: successes are not in `on`.
        _ = try ws.backup("app")
        XCTAssertEqual(try events(server).count, 3)
    }

    /// Moves every time in the job's alert history `seconds` into the past.
    private func ageAlertHistory(_ ws: Workspace, job: String, by seconds: TimeInterval) throws {
        let path = ws.stateDir + "/alerts/\(job).json"
        var text = String(decoding: try Files.read(path), as: UTF8.self)
        let formatter = ISO8601DateFormatter()
        let pattern = try NSRegularExpression(pattern: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#)
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let range = Range(match.range, in: text) else { continue }
            let original = String(text[range]).replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)
            guard let date = formatter.date(from: original) else { continue }
            text.replaceSubrange(range, with: formatter.string(from: date.addingTimeInterval(-seconds)))
        }
        try Files.write(path, text)
    }
}
