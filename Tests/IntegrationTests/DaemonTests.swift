import Foundation
import TestFixtures
import XCTest

/// `respaldo daemon` as a process, the way systemd runs it: a real NOTIFY_SOCKET listener,
/// SIGHUP with a broken and a good config, scheduled runs (metrics, status, audit log
/// follow), and SIGTERM in the middle of a run.
///
/// No real minute is waited for: the jobs are due at 03:00 and their run state says they
/// last succeeded three days ago, so the daemon's catch-up makes them due the moment it
/// starts. That a run fires at its scheduled minute is DaemonScheduleTests' (RespaldoCoreTests),
/// on an injected clock.
final class DaemonTests: XCTestCase {
    func testDaemonUnderANotifySocket() throws {
        let ws = try Workspace.make(for: self, "daemon")
        let small = ws.path("small.txt")
        try makeSampleFile(small, randomBytes: 1_000, lines: 2_000)
        let metrics = ws.path("metrics/respaldo.prom")
        try FileManager.default.createDirectory(atPath: ws.path("metrics"), withIntermediateDirectories: false)
        let started = Date()
        let daily = "03:00"
        let goodConfig = ws.header() + """
            max_parallel = 2

            [metrics]
            textfile = \(toml(metrics))

            """ + Workspace.commandJob("quick", ["cat", small], extra: "schedule = \(toml(daily))")
            // The slow job writes a little, then keeps the dump open: SIGTERM finds it running.
            + Workspace.commandJob("slow", ["bash", "-c", "head -c 300000 /dev/urandom; exec sleep 120"], extra: "schedule = \(toml(daily))")
            // Backed up by hand below; the daemon only drills it.
            + Workspace.commandJob("drilled", ["cat", small], extra: """
                [jobs.drill]
                schedule = \(toml(daily))
                restore_command = ["sh", "-c", "cat > /dev/null"]
                """)
        try ws.writeRawConfig(goodConfig)
        // A later run failed after each success: what the daemon's runs record shows (metrics 0 -> 1).
        try ws.seedRunState(job: "quick", lastSuccessDaysAgo: 3, laterFailure: true)
        try ws.seedRunState(job: "slow", lastSuccessDaysAgo: 3, laterFailure: true)
        try ws.seedRunState(job: "drilled", drill: true, lastSuccessDaysAgo: 3, laterFailure: true)
        let drilled = try ws.backup("drilled")

        let listener = try NotifyListener(folder: ws.root)
        let daemon = try Subprocess(
            Respaldo.argv("daemon", config: ws.configPath, []),
            environment: Respaldo.environment(home: ws.root).merging(
                ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "1000000"]) { $1 },
            timeout: 150)

        // READY once the config is loaded, then watchdog pings at half of WATCHDOG_USEC.
        let first = try XCTUnwrap(listener.receive(timeout: 15), "no notification within 15 s: \(daemon.stderrSoFar)")
        XCTAssertTrue(first.contains("READY=1"), first)
        XCTAssertTrue(first.contains("STATUS="), first)
        let early = listener.drain(for: 1.6)
        var notifications = [first] + early
        XCTAssertGreaterThanOrEqual(early.filter { $0.contains("WATCHDOG=1") }.count, 2, "watchdog pings every 0.5 s: \(early)")

        // SIGHUP with a broken file: the old config stays, the daemon says why and stays ready.
        try ws.writeRawConfig("local_dir = [\n")
        kill(daemon.pid, SIGHUP)
        let reload1 = listener.drain(for: 1.5)
        notifications += reload1
        XCTAssertTrue(reload1.contains { $0.contains("RELOADING=1") && $0.contains("MONOTONIC_USEC=") }, "\(reload1)")
        XCTAssertTrue(reload1.contains { $0.contains("READY=1") }, "READY again after the reload: \(reload1)")
        XCTAssertTrue(daemon.stderrSoFar.contains("keeping the running configuration"), daemon.stderrSoFar)
        XCTAssertEqual(kill(daemon.pid, 0), 0, "the daemon survives a broken config")

        try ws.writeRawConfig(goodConfig)
        kill(daemon.pid, SIGHUP)
        notifications += listener.drain(for: 1)
        XCTAssertTrue(daemon.stderrSoFar.contains("configuration reloaded"), daemon.stderrSoFar)

        // Both jobs were due at start (catch-up): quick completes, slow keeps dumping.
        let deadline = Date().addingTimeInterval(75)
        while Date() < deadline && (ws.snapshotIDs("quick").isEmpty || !daemon.stderrSoFar.contains("backup slow-")) {
            notifications += listener.drain(for: 0.2)
        }
        XCTAssertTrue(notifications.contains { $0.contains("STATUS=running") }, "STATUS says what it is doing: \(notifications)")
        let ids = ws.snapshotIDs("quick")
        XCTAssertEqual(ids.count, 1, "quick fired once for its missed time: \(daemon.stderrSoFar)")
        XCTAssertTrue(daemon.stderrSoFar.contains("quick: the run scheduled for") && daemon.stderrSoFar.contains("was missed"), daemon.stderrSoFar)
        var promText = ""
        let metricsDeadline = Date().addingTimeInterval(30)
        let drillDone = "respaldo_last_drill_success{job=\"drilled\"} 1\n"
        while Date() < metricsDeadline && (!promText.contains("respaldo_last_run_success{job=\"quick\"} 1") || !promText.contains(drillDone)) {
            promText = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
            usleep(100_000)
        }
        XCTAssertTrue(promText.contains("respaldo_last_run_success{job=\"quick\"} 1"), promText)
        XCTAssertTrue(promText.contains("respaldo_snapshots{job=\"quick\",location=\"local\"} 1"), promText)
        // The daemon's own heartbeat, for the "dead daemon" alert.
        XCTAssertTrue(matches(promText, #"respaldo_daemon_heartbeat_timestamp_seconds [1-9][0-9.]*\n"#), promText)
        let promtool = try Subprocess.run(["/usr/bin/promtool", "check", "metrics"], stdinPath: metrics)
        assertExit(promtool, 0, "promtool check metrics")

        let status = try ws.respaldo("status", "--json")
        assertExit(status, 0, "status --json")
        let jobs = try XCTUnwrap((try parseJSON(status.stdoutText, "status") as? [String: Any])?["jobs"] as? [[String: Any]], status.stdoutText)
        let quick = try XCTUnwrap(jobs.first { $0["job"] as? String == "quick" })
        XCTAssertEqual((quick["last_run"] as? [String: Any])?["success"] as? Bool, true, status.stdoutText)
        XCTAssertNotNil(quick["next_run"] as? String)
        let daemonState = try XCTUnwrap((try parseJSON(status.stdoutText, "status") as? [String: Any])?["daemon"] as? [String: Any])
        XCTAssertEqual(daemonState["state"] as? String, "running", status.stdoutText)
        XCTAssertEqual(daemonState["pid"] as? Int, Int(daemon.pid), status.stdoutText)
        let audit = try String(contentsOfFile: ws.stateDir + "/audit.log", encoding: .utf8)
        XCTAssertTrue(audit.split(separator: "\n").contains { $0.contains("\"action\":\"backup\"") && $0.contains("\"actor\":\"daemon\"") }, audit)
        // The scheduled drill ran on its own, on the newest snapshot, and is on record.
        XCTAssertTrue(audit.split(separator: "\n").contains {
            $0.contains("\"action\":\"drill\"") && $0.contains("\"actor\":\"daemon\"") && $0.contains("\"result\":\"ok\"") && $0.contains(drilled)
        }, audit)
        XCTAssertTrue(promText.contains("respaldo_last_drill_success_timestamp_seconds{job=\"drilled\"}") && !promText.contains("respaldo_last_drill_success_timestamp_seconds{job=\"drilled\"} 0\n"), promText)
        XCTAssertGreaterThanOrEqual(metric(promText, "respaldo_last_drill_success_timestamp_seconds{job=\"drilled\"}") ?? 0, started.timeIntervalSince1970.rounded(.down),
                                    "the daemon's drill, not the seeded one: \(promText)")
        let drilledStatus = try XCTUnwrap(jobs.first { $0["job"] as? String == "drilled" })
        XCTAssertEqual((drilledStatus["last_drill"] as? [String: Any])?["success"] as? Bool, true, status.stdoutText)

        // SIGTERM while slow is dumping: a clean stop, exit 0, nothing partial, no slow snapshot.
        XCTAssertTrue(daemon.stderrSoFar.contains("backup slow-"), "slow should be running: \(daemon.stderrSoFar)")
        kill(daemon.pid, SIGTERM)
        let result = daemon.wait()
        assertExit(result, 0, "SIGTERM is a graceful stop")
        XCTAssertEqual(ws.snapshotIDs("slow"), [], "the interrupted run leaves no snapshot")
        XCTAssertEqual(ws.partialFiles(), [], "no temporary file may remain")
        let last = listener.drain(for: 0.3)
        XCTAssertTrue((notifications + last).contains { $0.contains("STOPPING=1") } || result.stderrText.contains("stopping"), result.stderrText)
    }
}

/// The value of the sample `name{labels}` in a metrics textfile.
private func metric(_ text: String, _ sample: String) -> Double? {
    text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }.flatMap { Double($0.dropFirst(sample.count + 1)) }
}
