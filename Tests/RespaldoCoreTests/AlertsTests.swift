import Foundation
import TestFixtures
import Logging
import XCTest

@testable import RespaldoCore

#if canImport(Glibc)
import Glibc
#endif

/// Alerts against real servers on 127.0.0.1: an HTTP server (webhook, pings) and aiosmtpd
/// with TLS (mail). Each test bounds its time with short limits and kills its servers by PID.
final class AlertsTests: XCTestCase {
    /// A path segment that counts as a token: it must never show in a log line.
    static let token = "T0k3nQ9x7Lm2Vb8Zr4Ws6Yp1"
    static let started = Date(timeIntervalSince1970: 1_795_762_800)  // 2026-11-27T07:00:00Z
    static let finished = Date(timeIntervalSince1970: 1_795_762_925)  // +125 s
    /// Short enough for tests, long enough for loopback on a loaded machine.
    static let fast = AlertLimits(connectTimeout: 3, totalTimeout: 5, retries: 1, retryDelay: 0.1)

    var dir = ""
    var logs = LogCapture()
    var servers: [RecordingServer] = []

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-alerts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        logs = LogCapture()
    }

    override func tearDownWithError() throws {
        servers.forEach { $0.stop() }
        servers = []
        try? FileManager.default.removeItem(atPath: dir)
    }

    func failureEvent() -> AlertEvent {
        AlertEvent(
            job: "crm", status: .failure, error: "pg_dump exited 1: connection to server failed\nsecond line",
            host: "db1.example.com", startedAt: Self.started, finishedAt: Self.finished)
    }

    func httpServer() throws -> RecordingServer {
        let server = try RecordingServer.http(directory: dir)
        servers.append(server)
        return server
    }

    // MARK: - Webhook

    func testWebhookPostsTheEventAsJSON() throws {
        let server = try httpServer()
        let alerter = Alerter(
            config: NotifyConfig(webhookURL: "http://127.0.0.1:\(server.port)/hooks/\(Self.token)"),
            logger: logs.logger(), limits: Self.fast)
        let outcomes = alerter.sendNow(failureEvent())

        XCTAssertEqual(outcomes, [AlertOutcome(target: "webhook at 127.0.0.1:\(server.port)", attempts: 1, error: nil)])
        let requests = try server.entries()
        XCTAssertEqual(requests.count, 1)
        let request = try XCTUnwrap(requests.first)
        XCTAssertEqual(request["method"] as? String, "POST")
        XCTAssertEqual(request["path"] as? String, "/hooks/\(Self.token)")
        let headers = try XCTUnwrap(request["headers"] as? [String: String])
        XCTAssertEqual(headers["content-type"], "application/json")
        XCTAssertEqual(headers["user-agent"], "respaldo/\(respaldoVersion)")
        let body = try XCTUnwrap(request["body"] as? String)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        XCTAssertEqual(json["job"] as? String, "crm")
        XCTAssertEqual(json["status"] as? String, "failure")
        XCTAssertTrue(json["snapshot"] is NSNull, "snapshot must be null, not absent: \(body)")
        XCTAssertEqual(json["error"] as? String, "pg_dump exited 1: connection to server failed\nsecond line")
        XCTAssertEqual(json["host"] as? String, "db1.example.com")
        XCTAssertEqual(json["started_at"] as? String, "2026-11-27T07:00:00Z")
        XCTAssertEqual(json["finished_at"] as? String, "2026-11-27T07:02:05Z")
        XCTAssertEqual(
            json["text"] as? String,
            "respaldo: backup of job crm failed on db1.example.com: pg_dump exited 1: connection to server failed")
        // respaldo-alert/1: the earlier fields, and what kind of operation it was.
        XCTAssertEqual(Set(json.keys), [
            "job", "status", "snapshot", "error", "host", "started_at", "finished_at", "text",
            "format", "kind", "event", "location", "failing_since", "repeated",
        ])
        XCTAssertEqual(json["format"] as? String, "respaldo-alert/1")
        XCTAssertEqual(json["kind"] as? String, "backup")
        XCTAssertEqual(json["event"] as? String, "failure")
        XCTAssertTrue(json["location"] is NSNull && json["failing_since"] is NSNull, body)
        XCTAssertEqual(json["repeated"] as? Int, 0)

        XCTAssertTrue(logs.text.contains("alert sent: backup failure of job crm to webhook at 127.0.0.1:\(server.port)"), logs.text)
        XCTAssertFalse(logs.text.contains(Self.token), logs.text)
    }

    func testSendFiltersByOnAndReturnsAtOnce() throws {
        let server = try httpServer()
        let alerter = Alerter(
            config: NotifyConfig(webhookURL: "http://127.0.0.1:\(server.port)/stall/\(Self.token)", on: [.failure]),
            logger: logs.logger(), limits: AlertLimits(connectTimeout: 2, totalTimeout: 1, retries: 1, retryDelay: 0.1))

        alerter.send(AlertEvent(job: "crm", status: .success, snapshot: "crm-20261127T070000Z", startedAt: Self.started))
        alerter.send(AlertEvent(job: "crm", status: .uploadFailure, startedAt: Self.started))
        XCTAssertTrue(alerter.waitForOutstanding(timeout: 1), "events that `on` does not name start nothing")
        XCTAssertEqual(try server.entries().count, 0)

        // The server never answers: send still returns at once, and the wait is bounded.
        let clock = ContinuousClock()
        let sendTime = clock.measure { alerter.send(failureEvent()) }
        XCTAssertLessThan(sendTime, .milliseconds(200))
        XCTAssertFalse(alerter.waitForOutstanding(timeout: 0.3), "the stalled delivery is still in flight")
        let waitTime = clock.measure { XCTAssertTrue(alerter.waitForOutstanding(timeout: 15)) }
        XCTAssertLessThan(waitTime, .seconds(alerter.limits.worstCase + 2))
        XCTAssertEqual(try server.entries().count, 2, "one attempt and one retry after the timeout")
        XCTAssertTrue(logs.text.contains("retrying in 0.1 s"), logs.text)
        XCTAssertTrue(logs.text.contains("error: alert not sent: backup failure of job crm: webhook at 127.0.0.1:\(server.port):"), logs.text)
        XCTAssertTrue(logs.text.contains("(curl error 28)"), logs.text)
        XCTAssertFalse(logs.text.contains(Self.token), logs.text)
    }

    func testRefusedWebhookFailsQuietlyWithinTheBound() throws {
        let port = try SSHServer.unusedPort()  // bound, then closed: nothing listens on it
        let alerter = Alerter(
            config: NotifyConfig(webhookURL: "http://127.0.0.1:\(port)/hooks/\(Self.token)?key=\(Self.token)"),
            logger: logs.logger(), limits: Self.fast)
        let start = Date()
        let outcomes = alerter.sendNow(failureEvent())
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(outcomes.count, 1)
        XCTAssertEqual(outcomes.first?.attempts, 2, "a refused connection is transient: retried once")
        XCTAssertEqual(outcomes.first?.delivered, false)
        XCTAssertTrue(outcomes.first?.error?.contains("(curl error 7)") ?? false, "\(outcomes)")
        XCTAssertTrue(logs.text.contains("webhook at 127.0.0.1:\(port)"), logs.text)
        XCTAssertFalse(logs.text.contains(Self.token), logs.text)
    }

    func testHTTPStatusesDecideRetries() throws {
        let server = try httpServer()
        let logger = logs.logger()
        let busy = Alerter(config: NotifyConfig(webhookURL: "http://127.0.0.1:\(server.port)/status/503"), logger: logger, limits: Self.fast)
        let outcome = try XCTUnwrap(busy.sendNow(failureEvent()).first)
        XCTAssertEqual(outcome.attempts, 2)
        XCTAssertEqual(outcome.error, "webhook at 127.0.0.1:\(server.port): the server answered HTTP 503")

        let wrong = Alerter(config: NotifyConfig(webhookURL: "http://127.0.0.1:\(server.port)/status/404"), logger: logger, limits: Self.fast)
        XCTAssertEqual(wrong.sendNow(failureEvent()).first?.attempts, 1, "a 404 is not retried")
        XCTAssertEqual(try server.entries().count, 3)
    }

    // MARK: - Pings

    func testPingsHitStartSuccessAndFail() throws {
        let server = try httpServer()
        let base = "http://127.0.0.1:\(server.port)/ping/\(Self.token)"
        let alerter = Alerter(config: NotifyConfig(pingURL: base + "/"), logger: logs.logger(), limits: Self.fast)
        XCTAssertEqual(alerter.pingNow(.start)?.delivered, true)
        XCTAssertEqual(alerter.pingNow(.success)?.delivered, true)
        XCTAssertEqual(alerter.pingNow(.failure, body: "pg_dump exited 1")?.delivered, true)
        // The background form, as the daemon uses it.
        alerter.finish(AlertEvent(job: "crm", status: .verifyFailure, error: "checksum mismatch", startedAt: Self.started))
        XCTAssertTrue(alerter.waitForOutstanding(timeout: 10))

        let requests = try server.entries()
        XCTAssertEqual(requests.map { $0["path"] as? String }, [
            "/ping/\(Self.token)/start", "/ping/\(Self.token)", "/ping/\(Self.token)/fail", "/ping/\(Self.token)/fail",
        ])
        XCTAssertEqual(requests.map { $0["method"] as? String }, ["POST", "POST", "POST", "POST"])
        XCTAssertEqual(requests[2]["body"] as? String, "pg_dump exited 1")
        XCTAssertEqual(requests[3]["body"] as? String, "checksum mismatch")
        XCTAssertFalse(logs.text.contains(Self.token), logs.text)
    }

    func testPingURLs() {
        XCTAssertEqual(PingKind.start.url(base: "https://hc.example/abc"), "https://hc.example/abc/start")
        XCTAssertEqual(PingKind.failure.url(base: "https://hc.example/abc/"), "https://hc.example/abc/fail")
        XCTAssertEqual(PingKind.success.url(base: "https://hc.example/abc/"), "https://hc.example/abc")
        XCTAssertEqual(PingKind.start.url(base: "https://hc.example/p?key=1"), "https://hc.example/p/start?key=1")
        XCTAssertEqual(PingKind(.uploadFailure), .failure)
        XCTAssertEqual(PingKind(.success), .success)
    }

    // MARK: - Mail

    /// A self-signed certificate for 127.0.0.1, made by openssl; it is its own CA.
    func certificate() throws -> (certificate: String, key: String) {
        let certificate = dir + "/cert.pem", key = dir + "/key.pem"
        try Self.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        return (certificate, key)
    }

    func credentials(_ text: String = "alerts@example.com\ns3cr3t-Pa55\n", mode: Int = 0o600) throws -> String {
        let path = dir + "/smtp.credentials"
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw FixtureError("cannot create \(path)")
        }
        return path
    }

    func smtpServer(_ mode: String, _ tls: (certificate: String, key: String)) throws -> RecordingServer {
        let server = try RecordingServer.smtp(
            directory: dir, mode: mode, certificate: tls.certificate, key: tls.key,
            user: "alerts@example.com", password: "s3cr3t-Pa55")
        servers.append(server)
        return server
    }

    func mailConfig(_ url: String, caFile: String?, credentials: String?) -> NotifyConfig {
        NotifyConfig(
            smtpURL: url, mailFrom: "respaldo@db1.example.com", mailTo: ["ops@example.com", "dba@example.com"],
            smtpCredentialsFile: credentials, caFile: caFile)
    }

    func testMailOverSTARTTLSWithCredentialsFromTheFile() throws {
        let tls = try certificate()
        let server = try smtpServer("starttls", tls)
        let alerter = Alerter(
            config: mailConfig("smtp://127.0.0.1:\(server.port)", caFile: tls.certificate, credentials: try credentials()),
            logger: logs.logger(), limits: Self.fast)
        let outcomes = alerter.sendNow(failureEvent())
        XCTAssertEqual(outcomes, [AlertOutcome(target: "mail via 127.0.0.1:\(server.port)", attempts: 1, error: nil)])
        try checkDelivered(server)
    }

    func testMailOverImplicitTLS() throws {
        let tls = try certificate()
        let server = try smtpServer("implicit", tls)
        let alerter = Alerter(
            config: mailConfig("smtps://127.0.0.1:\(server.port)", caFile: tls.certificate, credentials: try credentials()),
            logger: logs.logger(), limits: Self.fast)
        XCTAssertEqual(alerter.sendNow(failureEvent()).first?.delivered, true, logs.text)
        try checkDelivered(server)
    }

    func checkDelivered(_ server: RecordingServer) throws {
        let entries = try server.entries()
        let auth = try XCTUnwrap(entries.first { $0["event"] as? String == "auth" }, "\(entries)")
        XCTAssertEqual(auth["login"] as? String, "alerts@example.com")
        XCTAssertEqual(auth["password"] as? String, "s3cr3t-Pa55")
        XCTAssertEqual(auth["ok"] as? Bool, true)
        XCTAssertEqual(auth["tls"] as? Bool, true, "credentials only ever cross TLS")

        let data = try XCTUnwrap(entries.first { $0["event"] as? String == "data" }, "\(entries)")
        XCTAssertEqual(data["tls"] as? Bool, true)
        XCTAssertEqual(data["authenticated"] as? Bool, true)
        XCTAssertEqual(data["mail_from"] as? String, "respaldo@db1.example.com")
        XCTAssertEqual(data["rcpt_tos"] as? [String], ["ops@example.com", "dba@example.com"])
        let content = try XCTUnwrap(data["content"] as? String)
        let lines = content.components(separatedBy: "\r\n")
        XCTAssertTrue(lines.contains("From: respaldo@db1.example.com"), content)
        XCTAssertTrue(lines.contains("To: ops@example.com, dba@example.com"), content)
        XCTAssertTrue(lines.contains("Subject: respaldo: backup of job crm failed on db1.example.com"), content)
        XCTAssertTrue(lines.contains("respaldo: backup of job crm failed on db1.example.com."), content)
        XCTAssertTrue(lines.contains("kind:     backup"), content)
        XCTAssertTrue(lines.contains("pg_dump exited 1: connection to server failed"), content)
        XCTAssertTrue(lines.contains("started:  2026-11-27T07:00:00Z"), content)
        XCTAssertFalse(logs.text.contains("s3cr3t-Pa55"), logs.text)
    }

    func testMailIsNotSentWithoutTLS() throws {
        let tls = try certificate()
        let server = try smtpServer("plain", tls)
        let alerter = Alerter(
            config: mailConfig("smtp://127.0.0.1:\(server.port)", caFile: tls.certificate, credentials: try credentials()),
            logger: logs.logger(), limits: Self.fast)
        let outcome = try XCTUnwrap(alerter.sendNow(failureEvent()).first)
        XCTAssertEqual(outcome.attempts, 1, "a server without STARTTLS is not retried")
        XCTAssertTrue(outcome.error?.contains("(curl error 64)") ?? false, "\(outcome)")
        XCTAssertEqual(try server.entries().count, 0, "neither credentials nor the message left in clear text")
        XCTAssertFalse(logs.text.contains("s3cr3t-Pa55"), logs.text)
    }

    func testMailRefusesAnUntrustedCertificate() throws {
        let tls = try certificate()
        let server = try smtpServer("starttls", tls)
        // No ca_file: the system's CAs do not know the self-signed certificate.
        let alerter = Alerter(
            config: mailConfig("smtp://127.0.0.1:\(server.port)", caFile: nil, credentials: try credentials()),
            logger: logs.logger(), limits: Self.fast)
        let outcome = try XCTUnwrap(alerter.sendNow(failureEvent()).first)
        XCTAssertEqual(outcome.attempts, 1)
        XCTAssertTrue(outcome.error?.contains("(curl error 60)") ?? false, "\(outcome)")
        XCTAssertTrue(try server.entries().isEmpty)
    }

    func testUnusableCredentialsFileSendsNothing() throws {
        let tls = try certificate()
        let server = try smtpServer("starttls", tls)
        for (text, mode, expected) in [
            ("alerts@example.com\ns3cr3t-Pa55\n", 0o644, "readable by"),
            ("alerts@example.com:s3cr3t-Pa55\n", 0o600, "expected the user name on line 1 and the password on line 2"),
        ] {
            let file = try credentials(text, mode: mode)
            let alerter = Alerter(
                config: mailConfig("smtp://127.0.0.1:\(server.port)", caFile: tls.certificate, credentials: file),
                logger: logs.logger(), limits: Self.fast)
            let outcome = try XCTUnwrap(alerter.sendNow(failureEvent()).first)
            XCTAssertEqual(outcome.attempts, 1)
            XCTAssertTrue(outcome.error?.contains("SMTP credentials file \(file):") ?? false, "\(outcome)")
            XCTAssertTrue(outcome.error?.contains(expected) ?? false, "\(outcome)")
        }
        XCTAssertTrue(try server.entries().isEmpty)
        XCTAssertFalse(logs.text.contains("s3cr3t-Pa55"), logs.text)
    }

    func testMessageHeadersCannotBeInjectedAndNonASCIIBodiesAreBase64() {
        var event = failureEvent()
        event.error = "déjà vu\r\nBcc: evil@example.com"
        let message = AlertMessage(
            event: event, from: "a@example.com\r\nBcc: evil@example.com", to: ["b@example.com"],
            date: Self.started)
        let text = String(decoding: message.bytes(), as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        XCTAssertEqual(parts.count, 2, text)
        let headers = parts[0].components(separatedBy: "\r\n")
        XCTAssertFalse(headers.contains { $0.hasPrefix("Bcc:") }, text)
        XCTAssertTrue(headers.contains("From: a@example.com  Bcc: evil@example.com"), text)
        XCTAssertTrue(headers.contains("Date: Fri, 27 Nov 2026 07:00:00 +0000"), text)
        XCTAssertTrue(headers.contains("Content-Transfer-Encoding: base64"), text)
        let body = Data(base64Encoded: parts[1].replacingOccurrences(of: "\r\n", with: ""))
        let decoded = String(decoding: body ?? Data(), as: UTF8.self)
        XCTAssertTrue(decoded.contains("déjà vu?\nBcc: evil@example.com"), decoded)
        XCTAssertTrue(parts[1].split(separator: "\r\n").allSatisfy { $0.count <= 76 })
    }

    // MARK: - Events and configuration

    func testEventsFromBackupOutcomes() {
        let failed = AlertEvent.backup(
            job: "crm", error: RespaldoError.failed("backup crm-1 failed: pg_dump exited 1"), startedAt: Self.started)
        XCTAssertEqual(failed.status, .failure)
        XCTAssertNil(failed.snapshot)
        XCTAssertEqual(failed.error, "backup crm-1 failed: pg_dump exited 1")
        XCTAssertFalse(failed.host.isEmpty)

        let long = AlertEvent(job: "crm", status: .failure, error: String(repeating: "x", count: 20_000), startedAt: Self.started)
        XCTAssertLessThan(long.error?.utf8.count ?? 0, AlertEvent.maxErrorLength + 100)
        XCTAssertTrue(long.error?.hasSuffix("more bytes cut]") ?? false)
    }

    func testCAFileIsValidatedInTheConfig() throws {
        let ca = dir + "/ca.pem"
        XCTAssertTrue(FileManager.default.createFile(atPath: ca, contents: Data("pem".utf8), attributes: [.posixPermissions: 0o644]))
        let head = "local_dir = \"\(dir)/l\"\nstate_dir = \"\(dir)/s\"\n[[jobs]]\nname = \"a\"\nsource = \"command\"\ncommand = [\"/bin/true\"]\n"
        let path = dir + "/respaldo.toml"
        func load(_ notify: String) throws -> Config {
            guard FileManager.default.createFile(atPath: path, contents: Data((head + notify).utf8), attributes: [.posixPermissions: 0o600]) else {
                throw FixtureError("cannot create \(path)")
            }
            return try Config.load(path: path)
        }
        XCTAssertEqual(try load("[notify]\nwebhook_url = \"https://h.example/x\"\nca_file = \"\(ca)\"\n").notify?.caFile, ca)
        XCTAssertThrowsError(try load("[notify]\nwebhook_url = \"https://h.example/x\"\nca_file = \"ca.pem\"\n")) { error in
            XCTAssertTrue("\(error)".contains("key \"ca_file\": must be an absolute path"), "\(error)")
        }
        XCTAssertThrowsError(try load("[notify]\nwebhook_url = \"https://h.example/x\"\nca_file = \"\(dir)/missing.pem\"\n")) { error in
            XCTAssertTrue("\(error)".contains("key \"ca_file\""), "\(error)")
        }
    }

    // MARK: - Helpers

    /// Runs a short-lived tool to completion; an error with its output when it fails.
    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("\(tool) failed: \(String(decoding: text, as: UTF8.self))")
        }
    }
}
