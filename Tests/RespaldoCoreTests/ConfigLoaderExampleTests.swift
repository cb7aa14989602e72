import Age
import Foundation
import Storage
import XCTest

@testable import RespaldoCore

/// Whole configurations: DESIGN.md's example, the defaults, and the shipped example file.
final class ConfigLoaderExampleTests: ConfigLoaderTestCase {
    /// DESIGN.md's example configuration, with real files.
    func testParsesDesignExample() throws {
        let text = """
            local_dir = "/var/backups/respaldo"   # local copies: <local_dir>/<job>/
            state_dir = "/var/lib/respaldo"       # locks, run state, pending uploads, audit log
            timezone  = "America/Mexico_City"     # IANA name; default: the system's zone

            [encryption]                          # omit for unencrypted backups
            recipients = ["\(Self.recipientA)"]   # and/or recipients_file = "/etc/respaldo/recipients.txt"
            recipients_file = "\(recipientsFile)"
            # passphrase_file = "/etc/respaldo/passphrase"   # age scrypt instead of recipients

            [retention]                           # counts of complete snapshots kept per job
            keep_last = 3
            keep_daily = 7
            keep_weekly = 4
            keep_monthly = 12
            keep_yearly = 0

            [[remotes]]
            name = "geo"
            url = "sftp://backup@server.example.com:22/srv/respaldo"
            identity_file = "\(key)"
            known_hosts = "\(knownHosts)"   # or host_key_sha256 = "<base64>"; one is required
            retries = 4                    # transient failures: attempts after the first
            retry_delay = 5                # seconds before the first retry; doubles each time, with jitter

            [[jobs]]
            name = "crm"
            schedule = "01:00"             # daily at HH:MM, or 5-field cron "0 1 * * *"
            source = "postgres"            # postgres | mysql | files | command
            database = "crm"               # postgres, mysql; also host, port, user, dump_args, password_file
            host = "db.internal"
            port = 5432
            user = "backup"
            dump_args = ["--exclude-table=audit_log"]
            password_file = "\(password)"
            # paths = ["/etc", "/srv/uploads"]           # files (streamed as a tar archive)
            # command = ["/usr/local/bin/dump-all"]       # command: argv, stdout is the dump
            compression_level = 6
            remotes = ["geo"]
            min_bytes = 1048576            # dump sanity: smaller fails the run (default 1: empty fails)
            max_shrink = 0.5               # ... as does less than half the previous snapshot's (default: off)
            [jobs.drill]                   # optional; used by `respaldo drill`
            checks = ["SELECT count(*) > 0 FROM customers"]
            schedule = "0 3 * * 0"       # the daemon runs the drill itself (on a DR host)
            host = "dr-db.internal"      # scratch target other than the job's own server

            [[jobs]]
            name = "uploads"
            source = "files"
            paths = ["/etc", "/srv/uploads"]
            timezone = "UTC"
            schedule = "30 2 * * 1-5"

            [[jobs]]
            name = "ledger"
            source = "command"
            command = ["/usr/local/bin/dump-all", "--plain"]
            sanity = "warn"
            remotes = []
            min_bytes = 0

            [notify]                       # optional; libcurl does the sending
            webhook_url = "https://hooks.example.com/respaldo"
            smtp_url = "smtps://mail.example.com:465"
            mail_from = "respaldo@example.com"
            mail_to = ["ops@example.com"]
            on = ["failure"]

            [metrics]
            textfile = "/var/lib/prometheus/node-exporter/respaldo.prom"
            """
        let config = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml")
        XCTAssertEqual(config.path, "/etc/respaldo/respaldo.toml")
        XCTAssertEqual(config.localDir, "/var/backups/respaldo")
        XCTAssertEqual(config.stateDir, "/var/lib/respaldo")
        let mexico = try XCTUnwrap(TimeZone(identifier: "America/Mexico_City"))
        XCTAssertEqual(config.timeZone, mexico)
        XCTAssertEqual(
            config.encryption, .recipients(try [Self.recipientA, Self.recipientB, Self.recipientC].map(X25519Recipient.init)))
        XCTAssertEqual(
            config.retention, RetentionPolicy(keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0))
        XCTAssertEqual(
            config.remotes,
            [
                RemoteConfig(
                    name: "geo", endpoint: try SFTPEndpoint("sftp://backup@server.example.com:22/srv/respaldo"), identityFile: key,
                    knownHosts: knownHosts, hostKey: nil, retries: 4, retryDelay: 5)
            ])
        XCTAssertEqual(config.jobs.count, 3)
        XCTAssertEqual(
            config.jobs[0],
            JobConfig(
                name: "crm", schedule: try Schedule.parse("01:00"), timeZone: mexico,
                source: .postgres(
                    DatabaseSource(
                        database: "crm", host: "db.internal", port: 5432, user: "backup",
                        dumpArgs: ["--exclude-table=audit_log"], passwordFile: password)),
                compressionLevel: 6, remotes: ["geo"], minBytes: 1_048_576, maxShrink: 0.5, sanity: .fail,
                drill: DrillConfig(
                    checks: ["SELECT count(*) > 0 FROM customers"], schedule: try Schedule.parse("0 3 * * 0"),
                    host: "dr-db.internal")))
        XCTAssertEqual(
            config.jobs[1],
            JobConfig(
                name: "uploads", schedule: try Schedule.parse("30 2 * * 1-5"), timeZone: try XCTUnwrap(TimeZone(identifier: "UTC")),
                source: .files(paths: ["/etc", "/srv/uploads"])))
        XCTAssertEqual(
            config.jobs[2],
            JobConfig(
                name: "ledger", timeZone: mexico, source: .command(argv: ["/usr/local/bin/dump-all", "--plain"]), minBytes: 0,
                sanity: .warn))
        XCTAssertEqual(
            config.notify,
            NotifyConfig(
                webhookURL: "https://hooks.example.com/respaldo", smtpURL: "smtps://mail.example.com:465",
                mailFrom: "respaldo@example.com", mailTo: ["ops@example.com"], on: [.failure]))
        XCTAssertEqual(config.metrics, MetricsConfig(textfile: "/var/lib/prometheus/node-exporter/respaldo.prom"))
        XCTAssertEqual(config.job(named: "uploads")?.source.kind, "files")
        XCTAssertEqual(config.remote(named: "geo")?.identityFile, key)
    }

    func testDefaults() throws {
        let text = Self.head + remote + """
            [[jobs]]
            name = "etc"
            source = "files"
            paths = ["/etc"]

            [[jobs]]
            name = "db"
            source = "mysql"
            database = "shop"
            [jobs.drill]

            [notify]
            ping_url = "https://hc.example.com/respaldo"
            """
        let config = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml")
        XCTAssertEqual(config.timeZone.identifier, TimeZone.current.identifier)
        XCTAssertNil(config.encryption)
        XCTAssertEqual(config.retention, RetentionPolicy())
        XCTAssertTrue(config.retention.keepsEverything)
        XCTAssertEqual(config.remotes[0].retries, 4)
        XCTAssertEqual(config.remotes[0].retryDelay, 5)
        let job = config.jobs[0]
        XCTAssertNil(job.schedule)
        XCTAssertEqual(job.timeZone.identifier, TimeZone.current.identifier, "no timezone anywhere: the system's")
        XCTAssertEqual(job.compressionLevel, 6)
        XCTAssertEqual(job.remotes, [])
        XCTAssertEqual(job.minBytes, 1)
        XCTAssertNil(job.maxShrink)
        XCTAssertEqual(job.sanity, .fail)
        XCTAssertNil(job.drill)
        XCTAssertEqual(config.jobs[1].source, .mysql(DatabaseSource(database: "shop")))
        XCTAssertEqual(config.jobs[1].drill, DrillConfig())
        XCTAssertEqual(config.notify, NotifyConfig(pingURL: "https://hc.example.com/respaldo", on: [.failure]))
        XCTAssertNil(config.metrics)
    }

    /// The shipped example, etc/respaldo/respaldo.toml, is valid: parsed without file checks,
    /// then loaded for real with its key files replaced by temporary ones.
    func testShippedExampleConfiguration() throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("etc/respaldo/respaldo.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let config = try Config.parse(text: text, path: url.path, checkFiles: false)
        XCTAssertEqual(config.jobs.map(\.name), ["crm", "uploads", "ledger"])
        XCTAssertEqual(config.remotes.map(\.name), ["geo"])
        XCTAssertEqual(config.encryption, .recipients([try X25519Recipient(Self.recipientA)]))
        XCTAssertEqual(config.jobs[0].drill?.checks, ["SELECT count(*) > 0 FROM customers"])
        XCTAssertNotNil(config.notify)
        XCTAssertNotNil(config.metrics)

        let substituted =
            text
            .replacingOccurrences(of: "\"/etc/respaldo/ssh/id_ed25519\"", with: "\"\(key)\"")
            .replacingOccurrences(of: "\"/etc/respaldo/ssh/known_hosts\"", with: "\"\(knownHosts)\"")
            .replacingOccurrences(of: "\"/etc/respaldo/signing.key\"", with: "\"\(key)\"")
            .replacingOccurrences(of: "\"/etc/respaldo/allowed_signers\"", with: "\"\(knownHosts)\"")
        let path = try write("respaldo.toml", substituted, mode: 0o644)
        let loaded = try Config.load(path: path)
        XCTAssertEqual(loaded.signing?.keyFile, key)
        XCTAssertEqual(loaded.trust?.maxAge.seconds, 36 * 3600)
        XCTAssertEqual(loaded.remotes[0].identityFile, key)
        XCTAssertEqual(loaded.path, path)
    }
}
