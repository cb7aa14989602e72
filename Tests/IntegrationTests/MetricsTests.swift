import Foundation
import TestFixtures
import XCTest

/// The metrics textfile through the binary: rewritten by every command that changes state,
/// with per-remote upload, drill and newest-snapshot series and clean numbers; and the shipped
/// Prometheus rules, tested with Prometheus's own `promtool test rules`.
final class MetricsTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// `name{labels} value` lines of the textfile, by series.
    private func samples(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            result[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return result
    }

    func testEveryStateChangingCommandRewritesTrueMetrics() throws {
        let setup = try RemoteSetup.make(for: self, "metrics")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try makeSampleFile(original, randomBytes: 20_000, lines: 2_000)
        let prom = ws.path("metrics/respaldo.prom")
        try FileManager.default.createDirectory(atPath: ws.path("metrics"), withIntermediateDirectories: false)
        func config(knownHosts: String? = nil, keepLast: Int) throws {
            try ws.writeRawConfig(ws.header(recipients: [setup.key.recipient]) + """

                [retention]
                keep_last = \(keepLast)

                [metrics]
                textfile = \(toml(prom))

                """ + setup.remote("geo", knownHosts: knownHosts) + Workspace.commandJob("db", ["cat", original], extra: """
                remotes = ["geo"]
                schedule = "0 1 1 1 *"
                [jobs.drill]
                restore_command = ["sh", "-c", "cat > /dev/null"]
                schedule = "0 3 1 1 *"
                """))
        }
        let db = "job=\"db\""
        let geo = "job=\"db\",remote=\"geo\""

        // A backup whose upload fails: the run is not a success, and the remote says why.
        try config(knownHosts: setup.sshd.wrongKnownHosts, keepLast: 5)
        assertExit(try ws.respaldo("backup", "db"), 1, "the upload fails")
        var m = try samples(prom)
        XCTAssertEqual(m["respaldo_last_run_success{\(db)}"], "0", "an upload failure is not a successful run: \(m)")
        XCTAssertEqual(m["respaldo_last_upload_success{\(geo)}"], "0")
        XCTAssertEqual(m["respaldo_pending_uploads{\(geo)}"], "1")
        XCTAssertNotEqual(m["respaldo_last_success_timestamp_seconds{\(db)}"], "0", "the local snapshot is good")
        XCTAssertEqual(m["respaldo_newest_snapshot_timestamp_seconds{job=\"db\",location=\"geo\"}"], "0", "nothing reached geo: \(m)")
        XCTAssertEqual(m["respaldo_build_info{version=\"\(try respaldoVersion())\"}"], "1", "\(m)")
        XCTAssertEqual(m["respaldo_daemon_heartbeat_timestamp_seconds"], "0", "a scheduled job and no daemon yet: \(m)")
        XCTAssertNotNil(m["respaldo_snapshot_stale_timestamp_seconds{job=\"db\",location=\"local\"}"], "\(m)")

        // `upload` alone brings the pending count and the upload series up to date.
        try config(keepLast: 5)
        assertExit(try ws.respaldo("upload"), 0, "upload")
        m = try samples(prom)
        XCTAssertEqual(m["respaldo_pending_uploads{\(geo)}"], "0", "upload rewrites the metrics: \(m)")
        XCTAssertEqual(m["respaldo_last_upload_success{\(geo)}"], "1")
        XCTAssertEqual(m["respaldo_snapshots{job=\"db\",location=\"geo\"}"], "1")
        XCTAssertNotEqual(m["respaldo_newest_snapshot_timestamp_seconds{job=\"db\",location=\"geo\"}"], "0")

        // Two more backups, then a stricter retention applied by `prune` alone.
        _ = try ws.backup("db")
        sleep(1)
        _ = try ws.backup("db")
        XCTAssertEqual(try samples(prom)["respaldo_snapshots{job=\"db\",location=\"local\"}"], "3")
        try config(keepLast: 1)
        assertExit(try ws.respaldo("prune", "db"), 0, "prune")
        m = try samples(prom)
        XCTAssertEqual(m["respaldo_snapshots{job=\"db\",location=\"local\"}"], "1", "prune rewrites the metrics: \(m)")
        XCTAssertEqual(m["respaldo_snapshots{job=\"db\",location=\"geo\"}"], "1")

        assertExit(try ws.respaldo("verify"), 0, "verify")
        m = try samples(prom)
        XCTAssertEqual(m["respaldo_last_verify_success{job=\"db\",location=\"local\"}"], "1", "\(m)")

        XCTAssertNil(m["respaldo_last_drill_success{\(db)}"], "no drill yet: \(m)")
        XCTAssertEqual(m["respaldo_last_drill_success_timestamp_seconds{\(db)}"], "0")
        assertExit(try ws.respaldo("drill", "db", "--identity", setup.key.identityPath), 0, "drill")
        m = try samples(prom)
        XCTAssertEqual(m["respaldo_last_drill_success{\(db)}"], "1", "\(m)")
        XCTAssertNotNil(m["respaldo_drill_overdue_timestamp_seconds{\(db)}"], "\(m)")

        // Clean numbers: integers, or at most milliseconds.
        for (series, value) in m {
            XCTAssertTrue(matches(value, #"^-?[0-9]+(\.[0-9]{1,3})?$"#), "\(series) \(value) is not a clean number")
        }
        let promtool = try Subprocess.run(["/usr/bin/promtool", "check", "metrics"], stdinPath: prom)
        assertExit(promtool, 0, "promtool check metrics")

        // Every respaldo series the shipped rules use exists in what respaldo writes.
        let rules = try String(contentsOfFile: Self.packageRoot + "/contrib/prometheus/respaldo.rules.yml", encoding: .utf8)
        let written = Set(m.keys.map { String($0.prefix { $0 != "{" }) })
        let pattern = try NSRegularExpression(pattern: #"respaldo_[a-z_]+"#)
        let used = Set(pattern.matches(in: rules, range: NSRange(rules.startIndex..., in: rules)).compactMap {
            Range($0.range, in: rules).map { String(rules[$0]) }
        })
        XCTAssertFalse(used.isEmpty)
        XCTAssertEqual(used.subtracting(written), [], "the rules use series respaldo never writes")
    }

    /// The shipped alerting rules, against series shaped like respaldo's, with promtool.
    func testPrometheusRulesPassPromtool() throws {
        try Tools.require("promtool", package: "prometheus")
        let folder = Self.packageRoot + "/contrib/prometheus"
        let check = try Subprocess.run(["promtool", "check", "rules", folder + "/respaldo.rules.yml"])
        assertExit(check, 0, "promtool check rules")
        let test = try Subprocess.run(["promtool", "test", "rules", "respaldo.rules.test.yml"], workingDirectory: folder)
        assertExit(test, 0, "promtool test rules")
    }

    private func respaldoVersion() throws -> String {
        let r = try Subprocess.run([try Respaldo.binary(), "--version"])
        try requireExit(r, 0, "--version")
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
