import Foundation
import TestFixtures
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `respaldo status` for people (a verdict line first, one time format) and for monitors
/// (`--check`'s exit status and one line, `--json`'s versioned, consistently typed object).
final class StatusTests: XCTestCase {
    /// Two unscheduled jobs; `bad` fails while the file `broken` exists.
    private func goodAndBad(_ ws: Workspace) throws -> String {
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 500)
        let broken = ws.path("broken")
        try Files.write(broken, "")
        // A zone far from UTC: every time shown must still be UTC.
        try ws.writeRawConfig(ws.header() + "timezone = \"America/Mexico_City\"\n\n"
            + Workspace.commandJob("good", ["cat", small])
            + Workspace.commandJob("bad", ["sh", "-c", "if [ -e \"$0\" ]; then echo 'pg_dump: connection refused' >&2; exit 3; fi; cat \"$1\"", broken, small]))
        return broken
    }

    /// Every RFC 3339 time in `text`.
    private func times(_ text: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        }
    }

    func testVerdictFirstUTCTimesAndCheckExitStatus() throws {
        let ws = try Workspace.make(for: self, "status-verdict")
        let broken = try goodAndBad(ws)
        let good = try ws.backup("good")
        assertExit(try ws.respaldo("backup", "bad"), 1, "bad fails")

        let status = try ws.respaldo("status")
        assertExit(status, 0, "status reports (the verdict is in the text; --check is for exit statuses)")
        let lines = status.stdoutText.split(separator: "\n").map(String.init)
        let verdict = try XCTUnwrap(lines.first)
        XCTAssertTrue(verdict.hasPrefix("respaldo CRITICAL:"), "one verdict line first: \(status.stdoutText)")
        XCTAssertTrue(verdict.contains("bad: last backup failed") && verdict.contains("pg_dump: connection refused"), verdict)
        XCTAssertFalse(verdict.contains("good"), "the healthy job is not blamed: \(verdict)")
        XCTAssertFalse(times(status.stdoutText).isEmpty)
        for time in times(status.stdoutText) {
            XCTAssertTrue(time.hasSuffix("Z"), "one time format, UTC as `list` shows: \(time) in\n\(status.stdoutText)")
        }
        // The newest local snapshot, with its age.
        let goodSection = status.stdoutText.components(separatedBy: "\ngood").last?.components(separatedBy: "\nbad").first ?? ""
        XCTAssertTrue(goodSection.contains("local:") && goodSection.contains("newest \(good)") && goodSection.contains("old"), status.stdoutText)
        XCTAssertTrue(status.stdoutText.contains("daemon:"), "the daemon's state is shown: \(status.stdoutText)")

        let check = try ws.respaldo("status", "--check")
        assertExit(check, 1, "a failed job makes --check fail")
        XCTAssertEqual(check.stdoutLines.count, 1, "--check prints one line: \(check.summary)")
        XCTAssertTrue(check.stdoutText.hasPrefix("respaldo CRITICAL: bad: last backup failed"), check.summary)

        try FileManager.default.removeItem(atPath: broken)
        _ = try ws.backup("bad")
        let healthy = try ws.respaldo("status", "--check")
        assertExit(healthy, 0, "all healthy")
        XCTAssertEqual(healthy.stdoutLines, ["respaldo OK: 2 jobs healthy"], healthy.summary)
    }

    func testJSONIsVersionedWithConsistentTypes() throws {
        let ws = try Workspace.make(for: self, "status-json")
        let broken = try goodAndBad(ws)
        func statusJSON() throws -> [String: Any] {
            let r = try ws.respaldo("status", "--json")
            try requireExit(r, 0, "status --json")
            return try XCTUnwrap(try parseJSON(r.stdoutText, "status --json") as? [String: Any], r.stdoutText)
        }
        func checkTypes(_ object: [String: Any], path: String) {
            for (key, value) in object {
                let here = path + "." + key
                if key.hasSuffix("_at") || key == "next_run" || key == "next_drill" {
                    XCTAssertTrue(value is String || value is NSNull, "\(here) is a time: a string or null, not \(value)")
                    if let text = value as? String { XCTAssertTrue(text.hasSuffix("Z"), "\(here) is UTC: \(text)") }
                }
                if ["last_run", "last_success", "last_drill", "last_drill_success", "last_verify", "last_upload", "last_upload_success"].contains(key) {
                    XCTAssertTrue(value is [String: Any] || value is NSNull, "\(here) is a run: an object or null, not \(value)")
                    if let run = value as? [String: Any] {
                        XCTAssertTrue(run["started_at"] is String && run["finished_at"] is String, "\(here): \(run)")
                        XCTAssertTrue(run["success"] is Bool && run["result"] is String, "\(here): \(run)")
                    }
                }
                if let nested = value as? [String: Any] { checkTypes(nested, path: here) }
                if let array = value as? [[String: Any]] { array.forEach { checkTypes($0, path: here + "[]") } }
            }
        }

        let before = try statusJSON()
        XCTAssertEqual(before["format"] as? String, "respaldo-status/1")
        checkTypes(before, path: "")
        let neverRun = try XCTUnwrap((before["jobs"] as? [[String: Any]])?.first)
        XCTAssertTrue(neverRun["last_run"] is NSNull && neverRun["last_success"] is NSNull, "\(neverRun)")

        let id = try ws.backup("good")
        assertExit(try ws.respaldo("backup", "bad"), 1)
        let after = try statusJSON()
        checkTypes(after, path: "")
        XCTAssertEqual(after["healthy"] as? Bool, false)
        XCTAssertTrue((after["verdict"] as? String ?? "").hasPrefix("respaldo CRITICAL:"), "\(after)")
        XCTAssertTrue(after["daemon"] is [String: Any], "\(after)")
        let jobs = try XCTUnwrap(after["jobs"] as? [[String: Any]])
        let good = try XCTUnwrap(jobs.first { $0["job"] as? String == "good" })
        XCTAssertEqual(good["healthy"] as? Bool, true)
        XCTAssertEqual((good["last_success"] as? [String: Any])?["snapshot"] as? String, id, "last_success is a run like last_run")
        let local = try XCTUnwrap((good["locations"] as? [[String: Any]])?.first { $0["location"] as? String == "local" })
        XCTAssertEqual(local["snapshots"] as? Int, 1)
        XCTAssertEqual(local["newest"] as? String, id)
        XCTAssertNotNil(local["age_seconds"] as? Int, "\(local)")
        let bad = try XCTUnwrap(jobs.first { $0["job"] as? String == "bad" })
        XCTAssertEqual(bad["healthy"] as? Bool, false)
        XCTAssertEqual((bad["last_run"] as? [String: Any])?["result"] as? String, "failure")
        XCTAssertTrue(bad["last_success"] is NSNull)
        XCTAssertTrue((bad["problems"] as? [String] ?? []).contains { $0.contains("last backup failed") }, "\(bad)")

        // --check --json: the same object, and the exit status of --check.
        let check = try ws.respaldo("status", "--check", "--json")
        assertExit(check, 1)
        XCTAssertEqual((try parseJSON(check.stdoutText, "status --check --json") as? [String: Any])?["healthy"] as? Bool, false)
        try FileManager.default.removeItem(atPath: broken)
    }

    /// The issue: "ok (uploads-…): upload … failed" on one line. The run, each location and
    /// each remote's upload state are separate lines; the newest snapshot there and its age.
    func testEachRemoteHasItsUploadStateAndNewestSnapshot() throws {
        let setup = try RemoteSetup.make(for: self, "status-remote")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 20_000, lines: 2_000)
        try setup.writeConfig(remotes: [setup.remote("geo", knownHosts: setup.sshd.wrongKnownHosts)], jobRemotes: ["geo"], source: original)
        let failed = try ws.respaldo("backup", "db")
        assertExit(failed, 1, "the upload fails")
        let id = try XCTUnwrap(failed.stdoutLines.last)

        let status = try ws.respaldo("status")
        let text = status.stdoutText
        XCTAssertTrue(text.hasPrefix("respaldo CRITICAL: db: last upload to geo failed"), text)
        let lastRun = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("last run:") })
        XCTAssertFalse(lastRun.contains(" ok"), "a run whose upload failed is not \"ok\": \(lastRun)")
        XCTAssertTrue(lastRun.contains("upload failed"), "\(lastRun)")
        let geo = try XCTUnwrap(text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("geo:") }, text)
        XCTAssertTrue(geo.contains("no snapshot") && geo.contains("last upload FAILED") && geo.contains("pending \(id)"), "\(geo)")

        try setup.writeConfig(remotes: [setup.remote("geo")], jobRemotes: ["geo"], source: original)
        assertExit(try ws.respaldo("upload"), 0, "upload")
        let after = try ws.respaldo("status").stdoutText
        let geoAfter = try XCTUnwrap(after.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("geo:") }, after)
        XCTAssertTrue(geoAfter.contains("1 snapshot, newest \(id)") && geoAfter.contains("last upload ok"), "\(geoAfter)")
        XCTAssertFalse(geoAfter.contains("pending"), "\(geoAfter)")
        // The run's upload failed, but the remote has caught up since: healthy again.
        XCTAssertTrue(after.hasPrefix("respaldo OK"), after)
    }

    /// An append-only remote is never pruned (nor listed) after a backup: its newest snapshot
    /// is still known from the upload itself, so it is neither "never uploaded" nor stale.
    func testAnAppendOnlyRemoteKnowsItsNewestSnapshot() throws {
        let setup = try RemoteSetup.make(for: self, "status-addonly")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 10_000, lines: 1_000)
        try setup.writeConfig(remotes: [setup.remote("geo") + "append_only = true\n"], jobRemotes: ["geo"], source: original)
        let id = try ws.backup("db")
        let check = try ws.respaldo("status", "--check")
        assertExit(check, 0, "the upload made it, the remote is not pruned")
        let text = try ws.respaldo("status").stdoutText
        let geo = try XCTUnwrap(text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("geo:") }, text)
        XCTAssertTrue(geo.contains("newest \(id)") && geo.contains("last upload ok"), "\(geo)")
    }

    /// The daemon writes `<state_dir>/daemon.json` (pid, start, heartbeat); status checks that
    /// pid is alive and is respaldo, and `--check` fails when a scheduled host has no daemon.
    func testDaemonLivenessIsShownAndChecked() throws {
        let ws = try Workspace.make(for: self, "status-daemon")
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 500)
        // Once a year: backed up by hand now, never due while the test runs.
        try ws.writeRawConfig(ws.header() + Workspace.commandJob("app", ["cat", small], extra: "schedule = \"0 1 1 1 *\""))
        _ = try ws.backup("app")

        let noDaemon = try ws.respaldo("status", "--check")
        assertExit(noDaemon, 1, "a scheduled job and no daemon")
        XCTAssertTrue(noDaemon.stdoutText.contains("daemon"), noDaemon.summary)

        let daemon = try ws.startRespaldo("daemon", timeout: 120)
        let record = ws.stateDir + "/daemon.json"
        let deadline = Date().addingTimeInterval(20)
        while !Files.exists(record) && Date() < deadline { usleep(50_000) }
        XCTAssertTrue(Files.exists(record), "the daemon records itself: \(daemon.stderrSoFar)")

        let status = try ws.respaldo("status")
        let line = try XCTUnwrap(status.stdoutText.split(separator: "\n").first { $0.hasPrefix("daemon:") }, status.stdoutText)
        XCTAssertTrue(line.contains("running") && line.contains("pid \(daemon.pid)") && line.contains("since 20"), "\(line)")
        let check = try ws.respaldo("status", "--check")
        assertExit(check, 0, "healthy with the daemon up")
        let json = try XCTUnwrap(try parseJSON(try ws.respaldo("status", "--json").stdoutText, "status") as? [String: Any])
        let state = try XCTUnwrap(json["daemon"] as? [String: Any])
        XCTAssertEqual(state["state"] as? String, "running")
        XCTAssertEqual(state["pid"] as? Int, Int(daemon.pid))
        XCTAssertTrue(state["started_at"] is String && state["heartbeat_at"] is String, "\(state)")

        // Killed without a chance to say so: the pid is gone.
        kill(daemon.pid, SIGKILL)
        _ = daemon.wait()
        let dead = try ws.respaldo("status", "--check")
        assertExit(dead, 1, "a dead daemon fails the check")
        XCTAssertTrue(dead.stdoutText.contains("daemon") && dead.stdoutText.contains("not running"), dead.summary)
    }
}
