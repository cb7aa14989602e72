import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `check-config` as a first deployment needs it: every error at once, zone abbreviations
/// refused, secrets in files of their own so the config can be group-readable, each file
/// checked for the service user, and with `--connect --notify` the database probed and a test
/// alert sent. (Database probes against a real PostgreSQL: CheckConfigPostgresTests.)
final class CheckConfigTests: XCTestCase {
    func testEveryErrorIsReportedAtOnce() throws {
        let ws = try Workspace.make(for: self, "cc-all")
        let text = ws.header() + """
            timezone = "CST"

            [[jobs]]
            name = "crm"
            source = "command"
            command = ["echo", "x"]
            compresion_level = 6

            [[jobs]]
            name = "web"
            source = "command"
            command = ["echo", "y"]
            schedule = "25:00"
            remotes = ["nowhere"]

            """
        try ws.writeRawConfig(text)
        let r = try ws.respaldo("check-config")
        assertExit(r, 2, "a config with four errors")
        for (fragment, key) in [("CST", "timezone = \"CST\""), ("compresion_level", "compresion_level"), ("25:00", "schedule = \"25:00\""), ("nowhere", "remotes = [\"nowhere\"]")] {
            let line = lineNumber(of: key, in: text)
            XCTAssertTrue(r.stderrText.split(separator: "\n").contains { $0.contains("\(ws.configPath):\(line):") && $0.contains(fragment) },
                          "the error about \(fragment) is reported with its line \(line)\n\(r.summary)")
        }
        XCTAssertTrue(r.stderrText.contains("4 problems"), "the errors are counted\n\(r.summary)")
    }

    func testZoneAbbreviationsAreRefusedWithTheNamesMeant() throws {
        let ws = try Workspace.make(for: self, "cc-zone")
        for (abbreviation, suggestion) in [("CST", "America/Chicago"), ("EST", "America/New_York"), ("IST", "Asia/Kolkata")] {
            try ws.writeRawConfig(ws.header() + "timezone = \"\(abbreviation)\"\n\n" + Workspace.commandJob("crm", ["echo", "x"]))
            let r = try ws.respaldo("check-config")
            assertExit(r, 2, "timezone = \(abbreviation)")
            XCTAssertTrue(r.stderrText.contains("abbreviation") && r.stderrText.contains(suggestion), "\(abbreviation): names what was probably meant\n\(r.summary)")
        }
        try ws.writeRawConfig(ws.header() + "timezone = \"America/Mexico_City\"\n\n" + Workspace.commandJob("crm", ["echo", "x"], extra: "timezone = \"UTC\""))
        assertExit(try ws.respaldo("check-config"), 0, "IANA names and UTC pass")
    }

    /// A webhook URL with a token lives in a file of its own (0600), so the config itself can
    /// be `root:respaldo 0640`; `--notify` sends a test alert through it.
    func testWebhookURLFileKeepsTheConfigReadableAndNotifySendsATestAlert() throws {
        let ws = try Workspace.make(for: self, "cc-webhook")
        let hook = try WebhookRecorder.start(ws.path("hook"))
        addTeardownBlock { hook.stop() }
        let secretURL = hook.url + "/hooks/T0123456789ABCDEFGHIJ1234"
        let urlFile = ws.path("webhook.url")
        try Files.write(urlFile, secretURL + "\n", mode: 0o600)
        let config = ws.header() + """
            [notify]
            webhook_url_file = \(toml(urlFile))
            on = ["failure"]

            """ + Workspace.commandJob("crm", ["echo", "x"])
        try ws.writeRawConfig(config, mode: 0o640)
        let ok = try ws.respaldo("check-config")
        assertExit(ok, 0, "a 0640 config whose webhook URL is in a 0600 file")

        let notified = try ws.respaldo("check-config", "--notify")
        assertExit(notified, 0, "check-config --notify")
        XCTAssertTrue(notified.stdoutText.contains("test alert"), notified.summary)
        let received = hook.requests(waitingFor: 1)
        XCTAssertEqual(received.count, 1, "one test alert reached the webhook\n\(notified.summary)")
        XCTAssertTrue(received.first.map { $0.contains("/hooks/T0123456789ABCDEFGHIJ1234") && $0.contains("test") } ?? false, "\(received)")
        XCTAssertFalse(notified.output.contains("T0123456789ABCDEFGHIJ1234"), "the token never shows\n\(notified.summary)")

        try Files.write(urlFile, secretURL + "\n", mode: 0o644)
        let leaky = try ws.respaldo("check-config")
        assertExit(leaky, 2, "a webhook URL file others can read")
        XCTAssertTrue(leaky.stderrText.contains(urlFile) && leaky.stderrText.contains("chmod 600"), leaky.summary)

        try ws.writeRawConfig(ws.header() + "[notify]\nwebhook_url = \(toml(secretURL))\n\n" + Workspace.commandJob("crm", ["echo", "x"]), mode: 0o640)
        let inline = try ws.respaldo("check-config")
        assertExit(inline, 2, "the token inline in a group-readable config")
        XCTAssertTrue(inline.stderrText.contains("webhook_url_file"), "the refusal points at webhook_url_file\n\(inline.summary)")
    }

    /// The reported first deployment: a root-owned 0600 SSH key passed check-config, and the
    /// service user could not read it at 01:00. Run as that user, check-config says so.
    func testFilesTheServiceUserCannotReadAreReported() throws {
        try XCTSkipUnless(Tools.isRoot, "needs root to run respaldo as another user")
        try Tools.require("runuser", package: "util-linux")
        let ws = try Workspace.make(for: self, "cc-readable")
        let key = ws.path("id_ed25519")
        try Subprocess.checked(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        let knownHosts = ws.path("known_hosts")
        try Files.write(knownHosts, "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l0GKJl\n", mode: 0o600)
        try ws.writeRawConfig(ws.header() + """
            [[remotes]]
            name = "geo"
            url = "sftp://backup@127.0.0.1:2222/srv"
            identity_file = \(toml(key))
            known_hosts = \(toml(knownHosts))

            """ + Workspace.commandJob("crm", ["echo", "x"], extra: "remotes = [\"geo\"]"))
        // As the README deploys it: the service user owns state and backups, the config is
        // root:<its group> 0640; the key and known_hosts were left root's.
        try Subprocess.checked(["chown", "-R", "nobody", ws.stateDir, ws.localDir])
        try Subprocess.checked(["chown", "root:nogroup", ws.root, ws.configPath])
        try Subprocess.checked(["chmod", "0750", ws.root])
        try Subprocess.checked(["chmod", "0640", ws.configPath])
        try Subprocess.checked(["chown", "root:root", key, knownHosts])
        let asService = try Subprocess.run(["runuser", "-u", "nobody", "--", try Respaldo.binary(), "check-config", "--config", ws.configPath],
                                           environment: Respaldo.environment(home: ws.root), timeout: 60)
        assertExit(asService, 2, "files the service user cannot read")
        XCTAssertTrue(asService.stderrText.contains(key) && asService.stderrText.contains("not readable by nobody"), asService.summary)
        XCTAssertTrue(asService.stderrText.contains(knownHosts), "every unreadable file is named\n\(asService.summary)")
        XCTAssertTrue(asService.stderrText.contains("chown nobody"), "with the fix\n\(asService.summary)")

        // As root before the first run (no state_dir yet, so no one owns it), naming the user.
        let early = ws.path("early.toml")
        try Files.write(early, try String(contentsOfFile: ws.configPath, encoding: .utf8)
            .replacingOccurrences(of: "state_dir = \(toml(ws.stateDir))", with: "state_dir = \(toml(ws.path("state-to-come")))"))
        let asRoot = try Subprocess.run([try Respaldo.binary(), "check-config", "--config", early, "--user", "nobody"],
                                        environment: Respaldo.environment(home: ws.root), timeout: 60)
        assertExit(asRoot, 2, "root checking for nobody")
        XCTAssertTrue(asRoot.stderrText.contains(key) && asRoot.stderrText.contains("not readable by nobody"), asRoot.summary)

        try Subprocess.checked(["chown", "nobody", key, knownHosts])
        let fixed = try Subprocess.run(["runuser", "-u", "nobody", "--", try Respaldo.binary(), "check-config", "--config", ws.configPath],
                                       environment: Respaldo.environment(home: ws.root), timeout: 60)
        assertExit(fixed, 0, "once the service user owns its key")
    }
}

/// A webhook receiver on 127.0.0.1 (Python's http.server): each POST's path and body are
/// appended to a file, one request per line.
final class WebhookRecorder: @unchecked Sendable {
    let url: String
    private let log: String
    private let process: Subprocess

    static func start(_ folder: String) throws -> WebhookRecorder {
        try Tools.require("python3", package: "python3")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let port = try freeTCPPort()
        let log = folder + "/requests.log"
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                    with open(sys.argv[2], 'a') as f:
                        f.write(self.path + ' ' + body.decode('utf-8', 'replace').replace('\\n', ' ') + '\\n')
                    self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
                def log_message(self, *args): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """
        let process = try Subprocess(["python3", "-c", script, "\(port)", log], timeout: 600)
        let recorder = WebhookRecorder(url: "http://127.0.0.1:\(port)", log: log, process: process)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? Subprocess.run(["python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1)"], timeout: 5))?.exitCode == 0 {
                return recorder
            }
            usleep(100_000)
        }
        recorder.stop()
        throw TestFailure("the webhook recorder did not start on port \(port)")
    }

    private init(url: String, log: String, process: Subprocess) {
        self.url = url
        self.log = log
        self.process = process
    }

    /// The requests received, waiting up to 10 s for `count` of them.
    func requests(waitingFor count: Int) -> [String] {
        let deadline = Date().addingTimeInterval(10)
        var lines: [String] = []
        repeat {
            lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.count >= count { break }
            usleep(100_000)
        } while Date() < deadline
        return lines
    }

    func stop() {
        kill(process.pid, SIGKILL)
        _ = process.wait()
    }
}
