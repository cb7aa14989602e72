import Foundation
import XCTest

@testable import RespaldoCore

final class ConfigLoaderTests: XCTestCase {
    /// Valid age X25519 recipients (bech32 "age" of 32 bytes).
    static let recipientA = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    static let recipientB = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
    static let recipientC = "age1qgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpquuzgag"
    /// github.com's ed25519 host key fingerprint (43 base64 characters).
    static let fingerprint = "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"

    var dir: URL!
    /// Files with the right modes: an SSH key (0600), known_hosts (0644), a password (0600),
    /// a recipients file (0644), a passphrase (0600).
    var key = "", knownHosts = "", password = "", recipientsFile = "", passphrase = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        key = try write("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n", mode: 0o600)
        knownHosts = try write("known_hosts", "server.example.com ssh-ed25519 AAAA\n", mode: 0o644)
        password = try write("crm.password", "s3cret\n", mode: 0o600)
        recipientsFile = try write(
            "recipients.txt", "# ops team\n\n\(Self.recipientB)\r\n\(Self.recipientC)\n", mode: 0o644)
        passphrase = try write("passphrase", "correct horse battery staple\n", mode: 0o600)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    @discardableResult
    func write(_ name: String, _ contents: String, mode: Int) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Parses `text` as `respaldo.toml` and returns the error's description (fails if none).
    func parseError(
        _ text: String, checkFiles: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) -> ConfigError? {
        do {
            _ = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml", checkFiles: checkFiles)
            XCTFail("expected a ConfigError", file: file, line: line)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("expected a ConfigError, got \(error)", file: file, line: line)
            return nil
        }
    }

    /// Asserts that parsing fails with this kind and that the message contains every fragment.
    func assertError(
        _ text: String, _ kind: ConfigError.Kind, _ fragments: String..., checkFiles: Bool = true,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let error = parseError(text, checkFiles: checkFiles, file: file, line: line) else { return }
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(
                error.description.contains(fragment), "\"\(error)\" does not contain \"\(fragment)\"", file: file,
                line: line)
        }
    }

    static let head = """
        local_dir = "/var/backups/respaldo"
        state_dir = "/var/lib/respaldo"

        """

    /// A valid remote "geo" at lines 3-7 after `head`.
    var remote: String {
        """
        [[remotes]]
        name = "geo"
        url = "sftp://backup@server.example.com:22/srv/respaldo"
        identity_file = "\(key)"
        known_hosts = "\(knownHosts)"

        """
    }

    // MARK: - Whole configurations

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
        XCTAssertEqual(config.timezone, "America/Mexico_City")
        XCTAssertEqual(config.encryption, .recipients([Self.recipientA, Self.recipientB, Self.recipientC]))
        XCTAssertEqual(
            config.retention, RetentionPolicy(keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0))
        XCTAssertEqual(
            config.remotes,
            [
                RemoteConfig(
                    name: "geo", url: "sftp://backup@server.example.com:22/srv/respaldo", identityFile: key,
                    knownHosts: knownHosts, hostKeySHA256: nil, retries: 4, retryDelay: 5)
            ])
        XCTAssertEqual(config.jobs.count, 3)
        XCTAssertEqual(
            config.jobs[0],
            JobConfig(
                name: "crm", schedule: "01:00", timezone: nil,
                source: .postgres(
                    DatabaseSource(
                        database: "crm", host: "db.internal", port: 5432, user: "backup",
                        dumpArgs: ["--exclude-table=audit_log"], passwordFile: password)),
                compressionLevel: 6, remotes: ["geo"], minBytes: 1_048_576, maxShrink: 0.5, sanity: .fail,
                drill: DrillConfig(
                    checks: ["SELECT count(*) > 0 FROM customers"], schedule: "0 3 * * 0", host: "dr-db.internal")))
        XCTAssertEqual(
            config.jobs[1],
            JobConfig(
                name: "uploads", schedule: "30 2 * * 1-5", timezone: "UTC",
                source: .files(paths: ["/etc", "/srv/uploads"])))
        XCTAssertEqual(
            config.jobs[2],
            JobConfig(
                name: "ledger", source: .command(argv: ["/usr/local/bin/dump-all", "--plain"]), minBytes: 0,
                sanity: .warn))
        XCTAssertEqual(
            config.notify,
            NotifyConfig(
                webhookURL: "https://hooks.example.com/respaldo", smtpURL: "smtps://mail.example.com:465",
                mailFrom: "respaldo@example.com", mailTo: ["ops@example.com"], on: ["failure"]))
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
        XCTAssertEqual(config.timezone, TimeZone.current.identifier)
        XCTAssertNil(config.encryption)
        XCTAssertEqual(config.retention, RetentionPolicy())
        XCTAssertTrue(config.retention.keepsEverything)
        XCTAssertEqual(config.remotes[0].retries, 4)
        XCTAssertEqual(config.remotes[0].retryDelay, 5)
        let job = config.jobs[0]
        XCTAssertNil(job.schedule)
        XCTAssertNil(job.timezone)
        XCTAssertEqual(job.compressionLevel, 6)
        XCTAssertEqual(job.remotes, [])
        XCTAssertEqual(job.minBytes, 1)
        XCTAssertNil(job.maxShrink)
        XCTAssertEqual(job.sanity, .fail)
        XCTAssertNil(job.drill)
        XCTAssertEqual(config.jobs[1].source, .mysql(DatabaseSource(database: "shop")))
        XCTAssertEqual(config.jobs[1].drill, DrillConfig())
        XCTAssertEqual(config.notify, NotifyConfig(pingURL: "https://hc.example.com/respaldo", on: ["failure"]))
        XCTAssertNil(config.metrics)
    }

    func testRemoteOptionsAndPinnedHostKey() throws {
        let text = Self.head + """
            [[remotes]]
            name = "geo.mx-1"
            url = "sftp://backup@[2001:db8::1]/srv/respaldo"
            identity_file = "\(key)"
            host_key_sha256 = "SHA256:\(Self.fingerprint)"
            retries = 0
            retry_delay = 2.5

            [[remotes]]
            name = "b"
            url = "sftp://u@h/p"
            identity_file = "\(key)"
            host_key_sha256 = "\(Self.fingerprint)"
            """
        let config = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml")
        XCTAssertEqual(
            config.remotes[0],
            RemoteConfig(
                name: "geo.mx-1", url: "sftp://backup@[2001:db8::1]/srv/respaldo", identityFile: key, knownHosts: nil,
                hostKeySHA256: Self.fingerprint, retries: 0, retryDelay: 2.5))
        XCTAssertEqual(config.remotes[1].hostKeySHA256, Self.fingerprint)
    }

    func testEncryptionModes() throws {
        let passphraseText = Self.head + "[encryption]\npassphrase_file = \"\(passphrase)\"\n"
        XCTAssertEqual(
            try Config.parse(text: passphraseText, path: "/x.toml").encryption, .passphraseFile(passphrase))

        let fileOnly = Self.head + "[encryption]\nrecipients_file = \"\(recipientsFile)\"\n"
        XCTAssertEqual(
            try Config.parse(text: fileOnly, path: "/x.toml").encryption,
            .recipients([Self.recipientB, Self.recipientC]))

        // Duplicates between the list and the file are kept once, in order.
        let both =
            Self.head
            + "[encryption]\nrecipients = [\"\(Self.recipientC)\", \"\(Self.recipientA)\"]\nrecipients_file = \"\(recipientsFile)\"\n"
        XCTAssertEqual(
            try Config.parse(text: both, path: "/x.toml").encryption,
            .recipients([Self.recipientC, Self.recipientA, Self.recipientB]))
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
        XCTAssertEqual(config.encryption, .recipients([Self.recipientA]))
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
        XCTAssertEqual(loaded.trust?.maxAge, 36 * 3600)
        XCTAssertEqual(loaded.remotes[0].identityFile, key)
        XCTAssertEqual(loaded.path, path)
    }

    // MARK: - Error classes, with key and line

    func testSyntaxErrorHasLineAndColumn() {
        let text = Self.head + "[retention]\nkeep_last = = 3\n"
        guard let error = parseError(text) else { return }
        XCTAssertEqual(error.kind, .syntax)
        XCTAssertEqual(error.line, 4)
        XCTAssertEqual(error.column, 13)
        XCTAssertTrue(error.description.hasPrefix("/etc/respaldo/respaldo.toml:4:13: TOML syntax error:"), error.description)
    }

    func testUnknownKeySuggestsClosest() {
        let text = Self.head + remote + """
            [[jobs]]
            name = "web"
            source = "files"
            paths = ["/srv"]

            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            compresion_level = 9
            """
        // line 8: first [[jobs]], line 13: second, 17: compresion_level
        assertError(
            text, .unknownKey,
            "/etc/respaldo/respaldo.toml:17: jobs[1] \"crm\": key \"compresion_level\": unknown key (did you mean \"compression_level\"?)"
        )
    }

    func testUnknownKeysAtTopLevelAndInSubtables() {
        assertError(
            Self.head + "\n# comment\nlocal_dri = \"/x\"\n", .unknownKey,
            "respaldo.toml:5: key \"local_dri\": unknown key (did you mean \"local_dir\"?)")
        assertError(
            Self.head + "[retention]\nkeep_last = 1\nkeep_forever = 1\n", .unknownKey,
            "respaldo.toml:5: retention: key \"keep_forever\": unknown key")
        let drill = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            [jobs.drill]
            chekcs = ["SELECT 1"]
            """
        assertError(
            drill, .unknownKey,
            "respaldo.toml:8: jobs[0] \"crm\": key \"drill.chekcs\": unknown key (did you mean \"checks\"?)")
        // No suggestion when nothing is close; the first unknown key in the file is reported.
        assertError(
            Self.head + "zzz = 1\naaa = 2\n", .unknownKey, "respaldo.toml:3: key \"zzz\": unknown key")
    }

    func testWrongType() {
        let text = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            port = "5432"
            """
        assertError(
            text, .wrongType, "respaldo.toml:7: jobs[0] \"crm\": key \"port\": expected an integer, found a string")
        assertError(
            Self.head + "[retention]\nkeep_last = 1.5\n", .wrongType,
            "respaldo.toml:4: retention: key \"keep_last\": expected an integer, found a floating-point number")
        assertError(
            Self.head + "[[jobs]]\nname = \"a\"\nsource = \"files\"\npaths = [\"/etc\", 3]\n", .wrongType,
            "respaldo.toml:6: jobs[0] \"a\": key \"paths[1]\": expected a string, found an integer")
        assertError(
            Self.head + "encryption = \"age1\"\n", .wrongType,
            "respaldo.toml:3: key \"encryption\": expected a table, found a string")
        assertError(
            Self.head + "[jobs]\nname = \"a\"\n", .wrongType,
            "respaldo.toml:3: key \"jobs\": expected an array of tables ([[jobs]]), found a table")
        assertError(
            Self.head + "\n[jobs.drill]\nchecks = []\n", .wrongType,
            "respaldo.toml:4: key \"jobs\": expected an array of tables ([[jobs]]), found a table")
        assertError(
            Self.head + remote + "retry_delay = \"5s\"\n", .wrongType,
            "respaldo.toml:8: remotes[0] \"geo\": key \"retry_delay\": expected a number, found a string")
    }

    func testMissingRequiredKey() {
        // Top-level keys have no table header: no line.
        assertError(
            "state_dir = \"/var/lib/respaldo\"\n", .missingKey,
            "/etc/respaldo/respaldo.toml: key \"local_dir\": required key is missing")
        // Inside a table: the line of its header.
        let text = Self.head + remote + """
            [[jobs]]
            name = "a"
            source = "files"
            paths = ["/a"]

            # the second job
            [[jobs]]
            name = "crm"
            schedule = "01:00"
            """
        assertError(text, .missingKey, "respaldo.toml:14: jobs[1] \"crm\": key \"source\": required key is missing")
        assertError(
            Self.head + "[[jobs]]\nsource = \"files\"\npaths = [\"/a\"]\n", .missingKey,
            "respaldo.toml:3: jobs[0]: key \"name\": required key is missing")
        assertError(
            Self.head + "[[jobs]]\nname = \"db\"\nsource = \"postgres\"\n", .missingKey,
            "respaldo.toml:3: jobs[0] \"db\": key \"database\": required key is missing")
        assertError(
            Self.head + "[[jobs]]\nname = \"f\"\nsource = \"files\"\n", .missingKey,
            "respaldo.toml:3: jobs[0] \"f\": key \"paths\": required for source = \"files\"")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo\"\nurl = \"sftp://u@h/p\"\nidentity_file = \"\(key)\"\n",
            .missingKey,
            "respaldo.toml:3: remotes[0] \"geo\": known_hosts or host_key_sha256: one is required, there is no way to turn host-key checking off"
        )
        assertError(
            Self.head + "[metrics]\n", .missingKey, "respaldo.toml:3: metrics: key \"textfile\": required key is missing")
        assertError(
            Self.head + "[encryption]\n", .missingKey,
            "respaldo.toml:3: encryption: needs recipients, recipients_file or passphrase_file")
    }

    func testImpossibleValues() {
        func job(_ line: String) -> String {
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"postgres\"\ndatabase = \"crm\"\n" + line + "\n"
        }
        // The job's extra key is on line 7.
        assertError(
            job("compression_level = 12"), .invalidValue,
            "respaldo.toml:7: jobs[0] \"crm\": key \"compression_level\": must be between 0 and 9, found 12")
        assertError(job("port = 0"), .invalidValue, "respaldo.toml:7:", "key \"port\": must be between 1 and 65535")
        assertError(job("port = 70000"), .invalidValue, "respaldo.toml:7:", "key \"port\"")
        assertError(job("min_bytes = -1"), .invalidValue, "respaldo.toml:7:", "key \"min_bytes\": must be at least 0")
        assertError(job("max_shrink = 1.5"), .invalidValue, "respaldo.toml:7:", "key \"max_shrink\": must be between 0 and 1")
        assertError(job("max_shrink = 0"), .invalidValue, "respaldo.toml:7:", "key \"max_shrink\"")
        assertError(job("sanity = \"maybe\""), .invalidValue, "respaldo.toml:7:", "key \"sanity\": \"maybe\" is not a mode")
        assertError(job("schedule = \"25:00\""), .invalidValue, "respaldo.toml:7:", "key \"schedule\": \"25:00\"")
        assertError(job("schedule = \"0 1 * *\""), .invalidValue, "respaldo.toml:7:", "5-field cron")
        assertError(job("timezone = \"Mars/Olympus\""), .invalidValue, "respaldo.toml:7:", "key \"timezone\"", "Mars/Olympus")
        assertError(job("password_file = \"crm.password\""), .invalidValue, "respaldo.toml:7:", "must be an absolute path")
        assertError(job("paths = [\"/etc\"]"), .invalidValue, "respaldo.toml:7:", "key \"paths\": is not used by a postgres job")
        assertError(job("user = \"\""), .invalidValue, "respaldo.toml:7:", "key \"user\": must not be empty")
        assertError(
            job("[jobs.drill]\nport = 99999"), .invalidValue, "respaldo.toml:8:", "key \"drill.port\": must be between 1 and 65535")
        assertError(
            job("[jobs.drill]\nschedule = \"1 2 3\""), .invalidValue, "respaldo.toml:8:", "key \"drill.schedule\"")
        assertError(
            job("[jobs.drill]\nrestore_command = []"), .invalidValue, "respaldo.toml:8:", "key \"drill.restore_command\"")

        assertError(
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"oracle\"\n", .invalidValue,
            "respaldo.toml:5: jobs[0] \"crm\": key \"source\": \"oracle\" is not a source; expected one of postgres, mysql, files, command"
        )
        assertError(
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"fiels\"\n", .invalidValue, "(did you mean \"files\"?)")
        assertError(
            Self.head + "[[jobs]]\nname = \"etc\"\nsource = \"files\"\npaths = [\"/etc\"]\ndatabase = \"x\"\n", .invalidValue,
            "respaldo.toml:7: jobs[0] \"etc\": key \"database\": is only for postgres and mysql jobs")
        assertError(
            Self.head + "[[jobs]]\nname = \"etc\"\nsource = \"files\"\npaths = [\"/etc\", \"srv\"]\n", .invalidValue,
            "respaldo.toml:6: jobs[0] \"etc\": key \"paths[1]\": must be an absolute path, found \"srv\"")
        assertError(
            Self.head + "[[jobs]]\nname = \"etc\"\nsource = \"files\"\npaths = []\n", .invalidValue,
            "respaldo.toml:6:", "key \"paths\": must list at least one path")
        assertError(
            Self.head + "[[jobs]]\nname = \"x\"\nsource = \"command\"\ncommand = []\n", .invalidValue,
            "respaldo.toml:6:", "key \"command\": must be a non-empty argv array")
        assertError(
            Self.head + "[[jobs]]\nname = \"crm.daily\"\nsource = \"command\"\ncommand = [\"/bin/true\"]\n",
            .invalidValue, "respaldo.toml:4: jobs[0] \"crm.daily\": key \"name\": \"crm.daily\" is not a valid job name")
        assertError(
            "local_dir = \"var/backups\"\nstate_dir = \"/var/lib/respaldo\"\n", .invalidValue,
            "respaldo.toml:1: key \"local_dir\": must be an absolute path, found \"var/backups\"")
        assertError(
            Self.head + "timezone = \"Nowhere/City\"\n", .invalidValue,
            "respaldo.toml:3: key \"timezone\": \"Nowhere/City\" is not a known IANA time zone")
        assertError(
            Self.head + "[retention]\nkeep_daily = -7\n", .invalidValue,
            "respaldo.toml:4: retention: key \"keep_daily\": must be at least 0, found -7")
    }

    func testRemoteValues() {
        func remote(_ url: String, extra: String = "") -> String {
            Self.head + """
                [[remotes]]
                name = "geo"
                url = "\(url)"
                identity_file = "\(key)"
                known_hosts = "\(knownHosts)"
                \(extra)
                """
        }
        for bad in [
            "https://server/srv", "sftp://server.example.com/srv", "sftp://u@server.example.com",
            "sftp://u@server.example.com/", "sftp://u:pw@server.example.com/srv", "sftp://u@/srv", "not a url",
        ] {
            assertError(remote(bad), .invalidValue, "respaldo.toml:5: remotes[0] \"geo\": key \"url\": \"\(bad)\"")
        }
        assertError(remote("sftp://u@h/p", extra: "retries = -1"), .invalidValue, "respaldo.toml:8:", "key \"retries\"")
        assertError(
            remote("sftp://u@h/p", extra: "retry_delay = -0.5"), .invalidValue, "respaldo.toml:8:", "key \"retry_delay\"")
        assertError(
            remote("sftp://u@h/p", extra: "host_key_sha256 = \"\(Self.fingerprint)\""), .invalidValue,
            "respaldo.toml:8: remotes[0] \"geo\": key \"host_key_sha256\": known_hosts and host_key_sha256 are both set")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo\"\nurl = \"sftp://u@h/p\"\nidentity_file = \"\(key)\"\nhost_key_sha256 = \"SHA256:abc\"\n",
            .invalidValue, "respaldo.toml:7: remotes[0] \"geo\": key \"host_key_sha256\": \"SHA256:abc\" is not a SHA-256 host key fingerprint")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo/1\"\n", .invalidValue,
            "respaldo.toml:4: remotes[0] \"geo/1\": key \"name\": \"geo/1\" is not a valid remote name")
        assertError(
            Self.head + "[[remotes]]\nname = \"geo\"\nurl = \"sftp://u@h/p\"\nknown_hosts = \"\(knownHosts)\"\n",
            .missingKey, "respaldo.toml:3: remotes[0] \"geo\": key \"identity_file\": required key is missing")
    }

    func testDuplicateNamesReportTheSecond() {
        let jobs = Self.head + """
            [[jobs]]
            name = "crm"
            source = "command"
            command = ["/bin/a"]

            [[jobs]]
            source = "command"
            command = ["/bin/b"]
            name = "crm"
            """
        assertError(
            jobs, .duplicateName,
            "respaldo.toml:11: jobs[1] \"crm\": key \"name\": duplicate job name \"crm\" (first defined on line 4)")
        let remotes = Self.head + remote + remote.replacingOccurrences(of: "sftp://backup@server", with: "sftp://b@other")
        assertError(
            remotes, .duplicateName,
            "respaldo.toml:9: remotes[1] \"geo\": key \"name\": duplicate remote name \"geo\" (first defined on line 4)")
    }

    func testUnknownRemote() {
        let text = Self.head + remote + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            remotes = [
              "geo",
              "goe",
            ]
            """
        assertError(
            text, .unknownRemote,
            "respaldo.toml:12: jobs[0] \"crm\": key \"remotes[1]\": job \"crm\" uses unknown remote \"goe\" (defined remotes: \"geo\") (did you mean \"geo\"?)"
        )
        assertError(
            Self.head + "[[jobs]]\nname = \"crm\"\nsource = \"command\"\ncommand = [\"/bin/a\"]\nremotes = [\"geo\"]\n",
            .unknownRemote, "respaldo.toml:7:", "unknown remote \"geo\" (no [[remotes]] are defined)")
        assertError(
            Self.head + remote + "[[jobs]]\nname = \"a\"\nsource = \"command\"\ncommand = [\"/bin/a\"]\nremotes = [\"geo\", \"geo\"]\n",
            .invalidValue, "respaldo.toml:12:", "key \"remotes[1]\": remote \"geo\" is listed twice")
    }

    func testEncryptionErrors() throws {
        assertError(
            Self.head + "[encryption]\nrecipients = [\"\(Self.recipientA)\"]\npassphrase_file = \"\(passphrase)\"\n",
            .invalidValue, "respaldo.toml:5: encryption: key \"passphrase_file\": cannot be combined with recipients")
        assertError(
            Self.head + "[encryption]\nrecipients = [\"\(Self.recipientA)\", \"age1nope\"]\n", .invalidValue,
            "respaldo.toml:4: encryption: key \"recipients[1]\": \"age1nope\" is not a valid age X25519 recipient")
        assertError(
            Self.head + "[encryption]\nrecipients = []\n", .invalidValue,
            "respaldo.toml:4: encryption: key \"recipients\": no recipients")
        let badFile = try write("bad-recipients.txt", "# comment\nssh-ed25519 AAAA\n", mode: 0o644)
        assertError(
            Self.head + "[encryption]\nrecipients_file = \"\(badFile)\"\n", .invalidValue,
            "respaldo.toml:4: encryption: key \"recipients_file\": \(badFile)")
        let writable = try write("writable-recipients.txt", Self.recipientA + "\n", mode: 0o666)
        assertError(
            Self.head + "[encryption]\nrecipients_file = \"\(writable)\"\n", .insecurePermissions,
            "respaldo.toml:4: encryption: key \"recipients_file\": \(writable): recipients file is writable by group and others (mode 0666)",
            "chmod go-w \(writable)")
        let openPassphrase = try write("open-passphrase", "pw\n", mode: 0o644)
        assertError(
            Self.head + "[encryption]\npassphrase_file = \"\(openPassphrase)\"\n", .insecurePermissions,
            "respaldo.toml:4: encryption: key \"passphrase_file\":", "(mode 0644)", "chmod 600 \(openPassphrase)")
    }

    func testNotifyValues() {
        assertError(
            Self.head + "[notify]\nwebhook_url = \"https://h.example/x\"\non = [\"failure\", \"sucess\"]\n", .invalidValue,
            "respaldo.toml:5: notify: key \"on[1]\": \"sucess\" is not an event", "(did you mean \"success\"?)")
        assertError(
            Self.head + "[notify]\nwebhook_url = \"ftp://h.example/x\"\n", .invalidValue,
            "respaldo.toml:4: notify: key \"webhook_url\"")
        assertError(
            Self.head + "[notify]\nsmtp_url = \"smtps://mail.example.com\"\nmail_to = [\"a@example.com\"]\n",
            .missingKey, "respaldo.toml:3: notify: key \"mail_from\": required with smtp_url")
        assertError(
            Self.head + "[notify]\nwebhook_url = \"https://h.example/x\"\nmail_to = [\"a@example.com\"]\n",
            .invalidValue, "respaldo.toml:5: notify: key \"mail_to\": is only used with smtp_url")
        assertError(
            Self.head + "[notify]\non = [\"failure\"]\n", .missingKey,
            "respaldo.toml:3: notify: sets none of webhook_url, smtp_url, ping_url")
        let open = try? write("smtp.credentials", "user\npass\n", mode: 0o640)
        assertError(
            Self.head
                + "[notify]\nsmtp_url = \"smtp://m.example\"\nmail_from = \"r@example.com\"\nmail_to = [\"o@example.com\"]\nsmtp_credentials_file = \"\(open ?? "")\"\n",
            .insecurePermissions, "respaldo.toml:7: notify: key \"smtp_credentials_file\":",
            "SMTP credentials file is readable by its group (mode 0640)")
    }

    // MARK: - Files named by the configuration

    func testPrivateKeyPermissions() throws {
        let text = Self.head + remote
        XCTAssertNoThrow(try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        assertError(
            text, .insecurePermissions,
            "respaldo.toml:6: remotes[0] \"geo\": key \"identity_file\": \(key): identity file (SSH private key) is readable by group and others (mode 0644); it must be private: run chmod 600 \(key)"
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key)
        XCTAssertNoThrow(try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml"))

        try FileManager.default.removeItem(atPath: key)
        assertError(text, .fileProblem, "respaldo.toml:6:", "key \"identity_file\": \(key): identity file (SSH private key) does not exist")

        try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: knownHosts)
        try write("id_ed25519", "key", mode: 0o600)
        assertError(
            text, .insecurePermissions, "respaldo.toml:7:", "key \"known_hosts\": \(knownHosts): known_hosts file is writable by its group (mode 0664)")
    }

    func testPasswordAndDrillIdentityPermissions() throws {
        let open = try write("open.password", "pw", mode: 0o604)
        let text = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            password_file = "\(open)"
            """
        assertError(text, .insecurePermissions, "respaldo.toml:7: jobs[0] \"crm\": key \"password_file\":", "readable by others (mode 0604)")
        let drill = Self.head + """
            [[jobs]]
            name = "crm"
            source = "postgres"
            database = "crm"
            password_file = "\(password)"
            [jobs.drill]
            identity_file = "\(open)"
            """
        assertError(drill, .insecurePermissions, "respaldo.toml:9: jobs[0] \"crm\": key \"drill.identity_file\":")
        // File checks can be turned off (internal, for the shipped example only).
        XCTAssertNoThrow(try Config.parse(text: drill, path: "/x.toml", checkFiles: false))
    }

    func testLoadRefusesAGroupWritableConfig() throws {
        let text = Self.head + remote
        let path = try write("respaldo.toml", text, mode: 0o664)
        XCTAssertThrowsError(try Config.load(path: path)) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .insecurePermissions)
            XCTAssertEqual(
                error.description,
                "\(path): config file is writable by its group (mode 0664); only its owner may change it: run chmod go-w \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let config = try Config.load(path: path)
        XCTAssertEqual(config.path, path)
        XCTAssertEqual(config.remotes.count, 1)
    }

    func testLoadMissingOrUnparsable() throws {
        let missing = dir.appendingPathComponent("nope.toml").path
        XCTAssertThrowsError(try Config.load(path: missing)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .fileProblem)
            XCTAssertEqual("\(error)", "\(missing): config file does not exist")
        }
        XCTAssertThrowsError(try Config.load(path: dir.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .fileProblem)
            XCTAssertTrue("\(error)".contains("config file is not a regular file (it is a directory)"), "\(error)")
        }
        let broken = try write("broken.toml", Self.head + "[jobs\n", mode: 0o644)
        XCTAssertThrowsError(try Config.load(path: broken)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .syntax)
            XCTAssertTrue("\(error)".hasPrefix("\(broken):3:"), "\(error)")
        }
    }

    func testASecretURLMakesTheConfigPrivate() throws {
        let secretURLs = [
            "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXX1XXXXXXXXXXXXXXX",
            "https://hooks.example.com/respaldo?token=abc",
            "https://user:pass@hooks.example.com/respaldo",
        ]
        for url in secretURLs {
            let text = Self.head + "\n[notify]\nwebhook_url = \"\(url)\"\n"
            let path = try write("secret.toml", text, mode: 0o644)
            XCTAssertThrowsError(try Config.load(path: path), url) { error in
                guard let error = error as? ConfigError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .insecurePermissions)
                XCTAssertTrue(
                    error.description.hasPrefix("\(path):5: notify: key \"webhook_url\": this URL carries"),
                    error.description)
                XCTAssertTrue(error.description.contains("(mode 0644)"), error.description)
                XCTAssertTrue(error.description.contains("run chmod 600 \(path)"), error.description)
                XCTAssertTrue(error.description.hasSuffix("named by webhook_url_file, and the config can stay readable by the service's group"), error.description)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            XCTAssertEqual(try Config.load(path: path).notify?.webhookURL, url)
        }
        let ping = try write("ping.toml", Self.head + "[notify]\nping_url = \"https://hc-ping.com/0f4e5b56-9d7a-4c4b-a2b1-6a1e2f3c4d5e\"\n", mode: 0o640)
        XCTAssertThrowsError(try Config.load(path: ping)) { error in
            XCTAssertTrue("\(error)".contains("key \"ping_url\": this URL carries a token in its path"), "\(error)")
        }
        // Not a secret: a readable config is fine.
        let plain = try write("plain.toml", Self.head + "[notify]\nwebhook_url = \"https://hooks.example.com/respaldo-notifications\"\n", mode: 0o644)
        XCTAssertNoThrow(try Config.load(path: plain))
    }

    // MARK: - Rules

    func testSecretURLRule() {
        XCTAssertNil(ConfigParser.secretInURL("https://hooks.example.com/respaldo"))
        XCTAssertNil(ConfigParser.secretInURL("https://hooks.example.com/a-very-long-path-segment-without-digits"))
        XCTAssertNil(ConfigParser.secretInURL("smtps://mail.example.com:465"))
        XCTAssertNotNil(ConfigParser.secretInURL("smtps://user:pw@mail.example.com:465"))
        XCTAssertNotNil(ConfigParser.secretInURL("https://h.example/x?key=1"))
        XCTAssertNotNil(ConfigParser.secretInURL("https://discord.com/api/webhooks/123/abcdefghij0123456789xyz"))
        XCTAssertNil(ConfigParser.secretInURL("https://h.example/short123"))
    }

    func testScheduleShapes() {
        for ok in ["00:00", "01:00", "23:59", "0 1 * * *", "*/15 * * * MON-FRI", "0 3 * * 0", "5,35 1-3 1 JAN,jul *"] {
            XCTAssertNil(ConfigParser.scheduleProblem(ok), ok)
        }
        for bad in ["24:00", "12:60", "1:00", "01:00:00", "", "0 1 * * * *", "0 1 * *", "@daily", "0 1 * * ?", "ab:cd"] {
            XCTAssertNotNil(ConfigParser.scheduleProblem(bad), bad)
        }
    }

    func testHostKeyFingerprints() {
        XCTAssertEqual(ConfigParser.normalizedHostKeyFingerprint("SHA256:\(Self.fingerprint)"), Self.fingerprint)
        XCTAssertEqual(ConfigParser.normalizedHostKeyFingerprint(Self.fingerprint + "="), Self.fingerprint)
        XCTAssertNil(ConfigParser.normalizedHostKeyFingerprint("SHA256:" + String(Self.fingerprint.dropLast())))
        XCTAssertNil(ConfigParser.normalizedHostKeyFingerprint(String(repeating: "-", count: 43)))
        XCTAssertNil(ConfigParser.normalizedHostKeyFingerprint("MD5:" + Self.fingerprint))
    }

    func testEditDistanceAndSuggestion() {
        XCTAssertEqual(ConfigParser.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(ConfigParser.editDistance("", "abc"), 3)
        XCTAssertEqual(ConfigParser.suggestion("retires", among: ["retries", "retry_delay"]), " (did you mean \"retries\"?)")
        XCTAssertEqual(ConfigParser.suggestion("colour", among: ["name"]), "")
    }

    // MARK: - Line locator

    func testLocatorCommentsBlankLinesAndQuotedKeys() {
        let text = """
            # header comment
            local_dir = "/a"   # trailing comment with key = "value"

              "state_dir" = '/b'
            'time zone' = "x"
            [ retention ]   # comment
            # keep_last = 1
            keep_daily = 7
            """
        let locator = TOMLLineLocator(text: text)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("local_dir")])), 2)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("state_dir")])), 4)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("time zone")])), 5)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("retention")])), 6)
        XCTAssertNil(locator.line(of: TOMLPath([.key("retention"), .key("keep_last")])))
        XCTAssertEqual(locator.line(of: TOMLPath([.key("retention"), .key("keep_daily")])), 8)
        // A missing key answers with its table's header.
        XCTAssertEqual(locator.nearestLine(of: TOMLPath([.key("retention"), .key("keep_last")])), 6)
        XCTAssertNil(locator.nearestLine(of: TOMLPath([.key("nothing")])))
    }

    func testLocatorArraysOfTablesAndSubtables() {
        let text = """
            [[jobs]]
            name = "a"
            [jobs.drill]
            checks = ["x"]

            [[remotes]]
            name = "r"

            [[jobs]]
            name = "b"

            [jobs.drill]
            checks = [
              "SELECT 1 = 1",
              "name = 'x'",
            ]
            schedule = "0 3 * * 0"
            """
        let locator = TOMLLineLocator(text: text)
        let jobs = TOMLPath([.key("jobs")])
        XCTAssertEqual(locator.line(of: jobs), 1)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0)), 1)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0).appending("name")), 2)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0).appending("drill")), 3)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0).appending("drill").appending("checks")), 4)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("remotes"), .index(0), .key("name")])), 7)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1)), 9)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("name")), 10)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("drill")), 12)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("drill").appending("checks")), 13)
        // Text inside the multi-line array is not taken for keys; lines keep counting.
        XCTAssertNil(locator.line(of: jobs.appending(index: 1).appending("drill").appending("name")))
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("drill").appending("schedule")), 17)
        XCTAssertEqual(jobs.appending(index: 1).appending("drill").appending("checks").description, "jobs[1].drill.checks")
    }

    func testLocatorMultilineStringsDottedKeysAndInlineTables() {
        let text = #"""
            description = """
            name = "not a key"
            [not.a.table]
            """
            literal = '''
            x = 1 '''
            escaped = "a \" = b # not a comment"
            [[jobs]]
            drill.checks = ["SELECT 1"]
            "quoted.key" = 1
            inline = { a = 1, b = [
              2,
            ] }
            after = 2
            """#
        let locator = TOMLLineLocator(text: text)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("description")])), 1)
        XCTAssertNil(locator.line(of: TOMLPath([.key("name")])))
        XCTAssertNil(locator.line(of: TOMLPath([.key("not")])))
        XCTAssertEqual(locator.line(of: TOMLPath([.key("literal")])), 5)
        XCTAssertNil(locator.line(of: TOMLPath([.key("x")])))
        XCTAssertEqual(locator.line(of: TOMLPath([.key("escaped")])), 7)
        let job = TOMLPath([.key("jobs"), .index(0)])
        XCTAssertEqual(locator.line(of: job), 8)
        XCTAssertEqual(locator.line(of: job.appending("drill")), 9)
        XCTAssertEqual(locator.line(of: job.appending("drill").appending("checks")), 9)
        XCTAssertEqual(locator.line(of: job.appending("quoted.key")), 10)
        XCTAssertEqual(locator.line(of: job.appending("inline")), 11)
        // Keys inside an inline table answer with the inline table's line.
        XCTAssertNil(locator.line(of: job.appending("inline").appending("b")))
        XCTAssertEqual(locator.nearestLine(of: job.appending("inline").appending("b")), 11)
        XCTAssertEqual(locator.line(of: job.appending("after")), 14)
        XCTAssertEqual(job.appending("quoted.key").description, "jobs[0].\"quoted.key\"")
    }

    func testLocatorNestedArraysOfTablesAndCRLF() {
        let text = "[[a]]\r\nx = 1\r\n[[a.b]]\r\ny = 1\r\n[[a.b]]\r\ny = 2\r\n[[a]]\r\n[[a.b]]\r\ny = 3\r\n"
        let locator = TOMLLineLocator(text: text)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(0), .key("x")])), 2)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(0), .key("b"), .index(1), .key("y")])), 6)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(1)])), 7)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(1), .key("b"), .index(0), .key("y")])), 9)
        // A header defines its parents implicitly.
        let implicit = TOMLLineLocator(text: "# x\n[p.q.r]\ns = 1\n[p]\n")
        XCTAssertEqual(implicit.line(of: TOMLPath([.key("p")])), 2)
        XCTAssertEqual(implicit.line(of: TOMLPath([.key("p"), .key("q")])), 2)
        XCTAssertEqual(implicit.line(of: TOMLPath([.key("p"), .key("q"), .key("r"), .key("s")])), 3)
    }

    func testLocatorSurvivesInvalidText() {
        let locator = TOMLLineLocator(text: "[unclosed\n= 3\n\"open = 1\nk = '\n[[x]]\ny = 1\n")
        XCTAssertEqual(locator.line(of: TOMLPath([.key("x"), .index(0), .key("y")])), 6)
    }
}
