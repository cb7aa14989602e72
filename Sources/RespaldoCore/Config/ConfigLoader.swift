import Age
import Foundation
import TOMLKit

extension Config {
    /// Reads, checks and validates the configuration file at `path`.
    ///
    /// The file must be a regular file not writable by group or other; when it holds a secret
    /// (a notification URL with credentials or a token, see `ConfigParser.secretInURL`) it
    /// must not be readable by them either. Every file the configuration names is checked
    /// too (existence, regular file, permissions). Throws `ConfigError`.
    public static func load(path: String) throws -> Config {
        try FileSecurity.checkNotWritableByOthers(path: path, what: "config file")
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(
                kind: .fileProblem, file: path,
                message: "config file cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        let parser = ConfigParser(file: path, text: text, checkFiles: true)
        let config = try parser.parse()
        try StateDirOwner.check(config.stateDir)
        try FileOwnership.checkFolderChain(config.stateDir, what: "state_dir")
        try FileOwnership.checkFolderChain(config.localDir, what: "local_dir")
        for job in config.jobs {
            // The program a command job runs is as much the config as the config is.
            if case let .command(argv) = job.source, let program = argv.first, program.hasPrefix("/") {
                try FileOwnership.checkOwner(path: program, what: "command of job \(job.name)")
            }
        }
        if let secret = parser.secret {
            do {
                try FileSecurity.checkPrivate(path: path, what: "config file")
            } catch let error as ConfigError {
                throw ConfigError(
                    kind: error.kind, file: path, line: secret.line, context: secret.context,
                    key: secret.key,
                    message: "this URL \(secret.reason), which makes the config file a secret: \(error.message)")
            }
        }
        return config
    }

    /// Validates configuration text; `path` names it in messages and in `Config.path`. The
    /// files it names are checked as by `load`, but the text's own file is not.
    public static func parse(text: String, path: String) throws -> Config {
        try parse(text: text, path: path, checkFiles: true)
    }

    /// `checkFiles: false` skips every file-system access (existence and permissions of key,
    /// password and known_hosts files, reading recipients files): only for validating an
    /// example configuration whose files do not exist here.
    static func parse(text: String, path: String, checkFiles: Bool) throws -> Config {
        try ConfigParser(file: path, text: text, checkFiles: checkFiles).parse()
    }
}

/// Turns TOML text into a validated `Config`. One instance per parse.
final class ConfigParser {
    struct Secret {
        var line: Int?
        var context: String?
        var key: String
        var reason: String
    }

    let file: String
    let text: String
    let checkFiles: Bool
    let locator: TOMLLineLocator
    /// The first key whose value is a secret (makes the config file itself a secret).
    private(set) var secret: Secret?

    static let notifyEvents = ["failure", "success", "upload_failure", "verify_failure"]

    init(file: String, text: String, checkFiles: Bool) {
        self.file = file
        self.text = text
        self.checkFiles = checkFiles
        self.locator = TOMLLineLocator(text: text)
    }

    func parse() throws -> Config {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                kind: .syntax, file: file, line: error.source.begin.line, column: error.source.begin.column,
                message: "TOML syntax error: \(error.description)")
        }
        let top = ConfigSection(parser: self, table: root, path: .root, context: nil, keyPrefix: .root)
        try top.checkKeys([
            "local_dir", "state_dir", "timezone", "encryption", "retention", "remotes", "jobs", "notify", "metrics",
            "max_parallel", "signing", "trust",
        ])
        let localDir = try top.requiredAbsolutePath("local_dir")
        let stateDir = try top.requiredAbsolutePath("state_dir")
        let timezone = try top.timeZone("timezone") ?? TimeZone.current.identifier
        let encryption = try top.subtable("encryption", context: "encryption").map(parseEncryption)
        let retention = try top.subtable("retention", context: "retention").map(parseRetention) ?? RetentionPolicy()

        var remotes: [RemoteConfig] = []
        var remoteNameLines: [String: Int?] = [:]
        for (index, entry) in try top.tableArray("remotes").enumerated() {
            let section = try entry.named(list: "remotes", index: index)
            let remote = try parseRemote(section)
            if let first = remoteNameLines[remote.name] {
                throw section.error(
                    .duplicateName, "name",
                    "duplicate remote name \"\(remote.name)\"\(first.map { " (first defined on line \($0))" } ?? "")")
            }
            remoteNameLines[remote.name] = section.line(of: "name")
            remotes.append(remote)
        }

        var jobs: [JobConfig] = []
        var jobNameLines: [String: Int?] = [:]
        for (index, entry) in try top.tableArray("jobs").enumerated() {
            let section = try entry.named(list: "jobs", index: index)
            let job = try parseJob(section, remotes: remotes)
            if let first = jobNameLines[job.name] {
                throw section.error(
                    .duplicateName, "name",
                    "duplicate job name \"\(job.name)\"\(first.map { " (first defined on line \($0))" } ?? "")")
            }
            jobNameLines[job.name] = section.line(of: "name")
            jobs.append(job)
        }

        let notify = try top.subtable("notify", context: "notify").map(parseNotify)
        let metrics = try top.subtable("metrics", context: "metrics").map(parseMetrics)
        var config = Config(
            path: file, localDir: localDir, stateDir: stateDir, timezone: timezone, encryption: encryption,
            retention: retention, remotes: remotes, jobs: jobs, notify: notify, metrics: metrics)
        config.maxParallel = try top.int("max_parallel", min: 1, max: 64) ?? 1
        config.signing = try top.subtable("signing", context: "signing").map(parseSigning)
        config.trust = try top.subtable("trust", context: "trust").map(parseTrust)
        return config
    }

    // MARK: - Sections

    func parseEncryption(_ s: ConfigSection) throws -> EncryptionConfig {
        try s.checkKeys(["recipients", "recipients_file", "passphrase_file"])
        let listed = try s.stringArray("recipients")
        let recipientsFile = try s.absolutePath("recipients_file")
        let passphraseFile = try s.absolutePath("passphrase_file")

        if let passphraseFile {
            if listed != nil || recipientsFile != nil {
                throw s.error(
                    .invalidValue, "passphrase_file",
                    "cannot be combined with recipients or recipients_file: encrypt either to age recipients (public keys) or with a passphrase")
            }
            try s.checkFile("passphrase_file", passphraseFile, what: "passphrase file", private: true)
            return .passphraseFile(passphraseFile)
        }
        guard listed != nil || recipientsFile != nil else {
            throw s.error(
                .missingKey, nil,
                "needs recipients, recipients_file or passphrase_file (omit [encryption] for unencrypted backups)")
        }

        var recipients: [String] = []
        for (i, candidate) in (listed ?? []).enumerated() {
            let recipient: String
            do {
                recipient = try X25519Recipient(candidate.trimmingCharacters(in: .whitespaces)).description
            } catch {
                throw s.error(
                    .invalidValue, at: TOMLPath([.key("recipients"), .index(i)]),
                    "\"\(candidate)\" is not a valid age X25519 recipient (age1…): \(error)")
            }
            if !recipients.contains(recipient) { recipients.append(recipient) }
        }
        if let recipientsFile {
            for recipient in try readRecipientsFile(s, recipientsFile) where !recipients.contains(recipient) {
                recipients.append(recipient)
            }
        }
        if recipients.isEmpty && (checkFiles || recipientsFile == nil) {
            throw s.error(
                .invalidValue, recipientsFile == nil ? "recipients" : "recipients_file",
                "no recipients: at least one age recipient (age1…) is needed")
        }
        return .recipients(recipients)
    }

    /// Checks, reads and parses a recipients file (age's format: one `age1…` per line, `#` comments).
    private func readRecipientsFile(_ s: ConfigSection, _ path: String) throws -> [String] {
        guard checkFiles else { return [] }
        try s.checkFile("recipients_file", path, what: "recipients file", private: false)
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw s.error(
                .fileProblem, "recipients_file", "\(path): cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        do {
            return try RecipientsFile.parse(contents).map(\.description)
        } catch {
            throw s.error(.invalidValue, "recipients_file", "\(path): \(error)")
        }
    }

    func parseRetention(_ s: ConfigSection) throws -> RetentionPolicy {
        try s.checkKeys(["keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"])
        return RetentionPolicy(
            keepLast: try s.int("keep_last", min: 0) ?? 0,
            keepDaily: try s.int("keep_daily", min: 0) ?? 0,
            keepWeekly: try s.int("keep_weekly", min: 0) ?? 0,
            keepMonthly: try s.int("keep_monthly", min: 0) ?? 0,
            keepYearly: try s.int("keep_yearly", min: 0) ?? 0)
    }

    func parseRemote(_ s: ConfigSection) throws -> RemoteConfig {
        if (try? s.string("url"))??.lowercased().hasPrefix("s3://") == true { return try parseS3Remote(s) }
        try s.checkKeys(["name", "url", "identity_file", "known_hosts", "host_key_sha256", "retries", "retry_delay", "append_only", "bandwidth_limit"])
        let name = try s.requiredString("name")
        guard ConfigParser.isName(name, allowDots: true) else {
            throw s.error(
                .invalidValue, "name", "\"\(name)\" is not a valid remote name: use letters, digits, '.', '_' and '-'")
        }
        let url = try s.requiredString("url")
        if let problem = ConfigParser.sftpURLProblem(url) {
            throw s.error(.invalidValue, "url", "\"\(url)\" \(problem)")
        }
        let identityFile = try s.requiredAbsolutePath("identity_file")
        try s.checkFile("identity_file", identityFile, what: "identity file (SSH private key)", private: true)

        let knownHosts = try s.absolutePath("known_hosts")
        var hostKey = try s.string("host_key_sha256")
        switch (knownHosts, hostKey) {
        case (nil, nil):
            throw s.error(
                .missingKey, nil,
                "known_hosts or host_key_sha256: one is required, there is no way to turn host-key checking off")
        case (.some, .some):
            throw s.error(
                .invalidValue, s.laterKey("known_hosts", "host_key_sha256"),
                "known_hosts and host_key_sha256 are both set: keep exactly one")
        case (.some(let knownHosts), nil):
            try s.checkFile("known_hosts", knownHosts, what: "known_hosts file", private: false)
        case (nil, .some(let pinned)):
            guard let fingerprint = ConfigParser.normalizedHostKeyFingerprint(pinned) else {
                throw s.error(
                    .invalidValue, "host_key_sha256",
                    "\"\(pinned)\" is not a SHA-256 host key fingerprint: expected 43 base64 characters, "
                        + "optionally after \"SHA256:\", as printed by ssh-keygen -lf KEY.pub")
            }
            hostKey = fingerprint
        }
        let retries = try s.int("retries", min: 0) ?? 4
        let retryDelay = try s.number("retry_delay", min: 0) ?? 5
        var remote = RemoteConfig(
            name: name, url: url, identityFile: identityFile, knownHosts: knownHosts, hostKeySHA256: hostKey,
            retries: retries, retryDelay: retryDelay)
        remote.appendOnly = try s.bool("append_only") ?? false
        remote.bandwidthLimit = try bandwidthLimit(s)
        return remote
    }

    func parseJob(_ s: ConfigSection, remotes: [RemoteConfig]) throws -> JobConfig {
        let databaseKeys = ["database", "host", "port", "user", "dump_args", "password_file"]
        try s.checkKeys(
            ["name", "schedule", "timezone", "source"] + databaseKeys + [
                "paths", "command", "compression_level", "compression_threads", "upload", "remotes", "min_bytes", "max_shrink", "sanity", "drill",
            ])
        let name = try s.requiredString("name")
        guard ConfigParser.isName(name, allowDots: false) else {
            throw s.error(
                .invalidValue, "name", "\"\(name)\" is not a valid job name: use letters, digits, '_' and '-'")
        }
        let schedule = try s.schedule("schedule")
        let timezone = try s.timeZone("timezone")

        let kind = try s.requiredString("source")
        let source: SourceConfig
        switch kind {
        case "postgres", "mysql":
            for key in ["paths", "command"] where s.has(key) {
                throw s.error(.invalidValue, key, "is not used by a \(kind) job (only by source = \"\(key == "paths" ? "files" : "command")\")")
            }
            let passwordFile = try s.absolutePath("password_file")
            if let passwordFile {
                try s.checkFile("password_file", passwordFile, what: "password file", private: true)
            }
            let databaseName = try s.requiredNonEmptyString("database")
            // A password inside a connection URI would reach argv (ps), the logs and the
            // uploaded manifest: refuse it and point at password_file.
            if let problem = ConfigParser.credentialsInURIProblem(databaseName) {
                throw s.error(.invalidValue, "database", problem)
            }
            for (i, argument) in (try s.stringArray("dump_args") ?? []).enumerated() {
                if let problem = ConfigParser.credentialsInURIProblem(argument) {
                    throw s.error(.invalidValue, at: TOMLPath([.key("dump_args"), .index(i)]), problem)
                }
            }
            let database = DatabaseSource(
                database: databaseName,
                host: try s.nonEmptyString("host"),
                port: try s.int("port", min: 1, max: 65535),
                user: try s.nonEmptyString("user"),
                dumpArgs: try s.stringArray("dump_args") ?? [],
                passwordFile: passwordFile)
            source = kind == "postgres" ? .postgres(database) : .mysql(database)
        case "files", "command":
            for key in databaseKeys where s.has(key) {
                throw s.error(.invalidValue, key, "is only for postgres and mysql jobs, not for source = \"\(kind)\"")
            }
            let other = kind == "files" ? "command" : "paths"
            if s.has(other) {
                throw s.error(.invalidValue, other, "is not used by a \(kind) job (only by source = \"\(other == "paths" ? "files" : "command")\")")
            }
            if kind == "files" {
                guard let paths = try s.stringArray("paths") else {
                    throw s.error(.missingKey, "paths", "required for source = \"files\"")
                }
                guard !paths.isEmpty else { throw s.error(.invalidValue, "paths", "must list at least one path") }
                for (i, path) in paths.enumerated() where !path.hasPrefix("/") {
                    throw s.error(
                        .invalidValue, at: TOMLPath([.key("paths"), .index(i)]),
                        "must be an absolute path, found \"\(path)\"")
                }
                source = .files(paths: paths)
            } else {
                guard let argv = try s.stringArray("command") else {
                    throw s.error(.missingKey, "command", "required for source = \"command\"")
                }
                guard let program = argv.first, !program.isEmpty else {
                    throw s.error(
                        .invalidValue, "command",
                        "must be a non-empty argv array, program first (no shell), e.g. [\"/usr/local/bin/dump-all\"]")
                }
                source = .command(argv: argv)
            }
        default:
            throw s.error(
                .invalidValue, "source",
                "\"\(kind)\" is not a source; expected one of postgres, mysql, files, command"
                    + ConfigParser.suggestion(kind, among: ["postgres", "mysql", "files", "command"]))
        }

        let compressionLevel = try s.int("compression_level", min: 0, max: 9) ?? 6
        let compressionThreads = try s.int("compression_threads", min: 1, max: 256)
        let remoteNames = try s.stringArray("remotes") ?? []
        for (i, remote) in remoteNames.enumerated() {
            let key = TOMLPath([.key("remotes"), .index(i)])
            if !remotes.contains(where: { $0.name == remote }) {
                let known = remotes.map { "\"\($0.name)\"" }.joined(separator: ", ")
                throw s.error(
                    .unknownRemote, at: key,
                    "job \"\(name)\" uses unknown remote \"\(remote)\" ("
                        + (known.isEmpty ? "no [[remotes]] are defined" : "defined remotes: \(known)") + ")"
                        + ConfigParser.suggestion(remote, among: remotes.map(\.name)))
            }
            if remoteNames[..<i].contains(remote) {
                throw s.error(.invalidValue, at: key, "remote \"\(remote)\" is listed twice")
            }
        }
        let minBytes = try s.int("min_bytes", min: 0) ?? 1
        let maxShrink = try s.number("max_shrink")
        if let maxShrink, !(maxShrink > 0 && maxShrink < 1) {
            throw s.error(
                .invalidValue, "max_shrink",
                "must be between 0 and 1 exclusive (0.5: a dump less than half the previous one fails), found \(maxShrink)")
        }
        let sanityText = try s.string("sanity") ?? "fail"
        guard let sanity = SanityMode(rawValue: sanityText) else {
            throw s.error(.invalidValue, "sanity", "\"\(sanityText)\" is not a mode; expected \"fail\" or \"warn\"")
        }
        let drill = try s.subtable("drill").map(parseDrill)
        var job = JobConfig(
            name: name, schedule: schedule, timezone: timezone, source: source, compressionLevel: compressionLevel,
            remotes: remoteNames, minBytes: Int64(minBytes), maxShrink: maxShrink, sanity: sanity, drill: drill)
        job.compressionThreads = compressionThreads
        if let mode = try s.string("upload") {
            guard let parsed = UploadMode(rawValue: mode) else {
                throw s.error(.invalidValue, "upload", "\"\(mode)\" is not an upload mode; expected \"after\" or \"streaming\"")
            }
            job.uploadMode = parsed
        }
        return job
    }

    func parseDrill(_ s: ConfigSection) throws -> DrillConfig {
        try s.checkKeys(["checks", "schedule", "host", "port", "user", "identity_file", "restore_command", "password_file"])
        let identityFile = try s.absolutePath("identity_file")
        if let identityFile {
            try s.checkFile("identity_file", identityFile, what: "identity file", private: true)
        }
        let passwordFile = try s.absolutePath("password_file")
        if let passwordFile {
            try s.checkFile("password_file", passwordFile, what: "password file", private: true)
        }
        let restoreCommand = try s.stringArray("restore_command")
        if let restoreCommand, restoreCommand.first?.isEmpty ?? true {
            throw s.error(
                .invalidValue, "restore_command", "must be a non-empty argv array, program first (no shell)")
        }
        return DrillConfig(
            checks: try s.stringArray("checks") ?? [],
            schedule: try s.schedule("schedule"),
            host: try s.nonEmptyString("host"),
            port: try s.int("port", min: 1, max: 65535),
            user: try s.nonEmptyString("user"),
            identityFile: identityFile,
            restoreCommand: restoreCommand,
            passwordFile: passwordFile)
    }

    func parseNotify(_ s: ConfigSection) throws -> NotifyConfig {
        try s.checkKeys(
            ["webhook_url", "smtp_url", "mail_from", "mail_to", "smtp_credentials_file", "ping_url", "on", "ca_file"])
        let webhook = try s.url("webhook_url", schemes: ["https", "http"])
        let ping = try s.url("ping_url", schemes: ["https", "http"])
        let smtp = try s.url("smtp_url", schemes: ["smtps", "smtp"])
        let mailFrom = try s.nonEmptyString("mail_from")
        let mailTo = try s.stringArray("mail_to")
        let credentials = try s.absolutePath("smtp_credentials_file")

        if smtp == nil {
            for key in ["mail_from", "mail_to", "smtp_credentials_file"] where s.has(key) {
                throw s.error(.invalidValue, key, "is only used with smtp_url, which is not set")
            }
        } else {
            guard let mailFrom else { throw s.error(.missingKey, "mail_from", "required with smtp_url") }
            guard let mailTo, !mailTo.isEmpty else {
                throw s.error(s.has("mail_to") ? .invalidValue : .missingKey, "mail_to", "needs at least one address with smtp_url")
            }
            if !mailFrom.contains("@") {
                throw s.error(.invalidValue, "mail_from", "\"\(mailFrom)\" is not a mail address")
            }
            for (i, address) in mailTo.enumerated() where !address.contains("@") {
                throw s.error(.invalidValue, at: TOMLPath([.key("mail_to"), .index(i)]), "\"\(address)\" is not a mail address")
            }
        }
        if let credentials {
            try s.checkFile("smtp_credentials_file", credentials, what: "SMTP credentials file", private: true)
        }
        let caFile = try s.absolutePath("ca_file")
        if let caFile {
            try s.checkFile("ca_file", caFile, what: "CA file", private: false)
        }
        if webhook == nil && ping == nil && smtp == nil {
            throw s.error(
                .missingKey, nil, "sets none of webhook_url, smtp_url, ping_url: nobody would be notified (omit [notify] instead)")
        }
        let on = try s.stringArray("on") ?? ["failure"]
        for (i, event) in on.enumerated() where !ConfigParser.notifyEvents.contains(event) {
            throw s.error(
                .invalidValue, at: TOMLPath([.key("on"), .index(i)]),
                "\"\(event)\" is not an event; expected one of \(ConfigParser.notifyEvents.joined(separator: ", "))"
                    + ConfigParser.suggestion(event, among: ConfigParser.notifyEvents))
        }
        for (key, value) in [("webhook_url", webhook), ("smtp_url", smtp), ("ping_url", ping)] {
            if secret == nil, let value, let reason = ConfigParser.secretInURL(value) {
                secret = Secret(line: s.line(of: key), context: s.context, key: key, reason: reason)
            }
        }
        return NotifyConfig(
            webhookURL: webhook, smtpURL: smtp, mailFrom: mailFrom, mailTo: mailTo ?? [],
            smtpCredentialsFile: credentials, pingURL: ping, on: on, caFile: caFile)
    }

    func parseMetrics(_ s: ConfigSection) throws -> MetricsConfig {
        try s.checkKeys(["textfile"])
        return MetricsConfig(textfile: try s.requiredAbsolutePath("textfile"))
    }

    // MARK: - Rules

    /// Remote names: `[A-Za-z0-9._-]+`; job names: `[A-Za-z0-9_-]+` (snapshot ids are
    /// `<job>-<timestamp>`, and dots would blur the artifact's extension).
    static func isName(_ name: String, allowDots: Bool) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { TOMLPath.isBareKeyByte($0.value) || (allowDots && $0 == ".") }
    }

    /// Why `url` is not `sftp://user@host[:port]/path`, or nil when it is.
    static func sftpURLProblem(_ url: String) -> String? {
        guard let c = URLComponents(string: url), c.scheme?.lowercased() == "sftp" else {
            return "is not an sftp:// URL; expected sftp://user@host[:port]/path"
        }
        guard let user = c.user, !user.isEmpty else {
            return "has no user; expected sftp://user@host[:port]/path"
        }
        if c.password != nil {
            return "carries a password: authentication is by identity_file only"
        }
        guard let host = c.host, !host.isEmpty else {
            return "has no host; expected sftp://user@host[:port]/path"
        }
        if let port = c.port, !(1...65535).contains(port) {
            return "has port \(port), out of 1-65535"
        }
        if c.path.isEmpty || c.path == "/" {
            return "has no path; expected sftp://user@host[:port]/path (the remote directory)"
        }
        if c.query != nil || c.fragment != nil {
            return "has a query or fragment; expected sftp://user@host[:port]/path"
        }
        return nil
    }

    /// The base64 SHA-256 fingerprint without `SHA256:` and padding, or nil when `text` is
    /// not one (43 base64 characters encoding 32 bytes).
    static func normalizedHostKeyFingerprint(_ text: String) -> String? {
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("SHA256:") { s.removeFirst("SHA256:".count) }
        if s.count == 44 && s.hasSuffix("=") { s.removeLast() }
        guard s.count == 43,
              s.unicodeScalars.allSatisfy({ TOMLPath.isBareKeyByte($0.value) && $0 != "_" && $0 != "-" || $0 == "+" || $0 == "/" }),
              let data = Data(base64Encoded: s + "="), data.count == 32
        else { return nil }
        return s
    }

    /// Why a notification URL is a secret, or nil. The rule, kept simple on purpose: a URL
    /// is a secret when it has userinfo (`user[:password]@`), a query string, or a path
    /// segment longer than 20 characters made only of letters, digits, `-`, `_`, `.`, `~`,
    /// `=` that contains at least one digit (a token, as in Slack, Discord or healthchecks
    /// URLs). Then the config file must be private.
    static func secretInURL(_ url: String) -> String? {
        guard let c = URLComponents(string: url) else { return nil }
        if c.user != nil || c.password != nil { return "carries credentials (user info before @)" }
        if let query = c.percentEncodedQuery, !query.isEmpty { return "carries a query string" }
        for segment in c.percentEncodedPath.split(separator: "/") {
            let tokenish = segment.unicodeScalars.allSatisfy {
                TOMLPath.isBareKeyByte($0.value) || $0 == "." || $0 == "~" || $0 == "="
            }
            if segment.count > 20 && tokenish && segment.contains(where: \.isNumber) {
                return "carries a token in its path"
            }
        }
        return nil
    }

    /// Why `text` is not a schedule (Schedule.parse's message), or nil.
    static func scheduleProblem(_ text: String) -> String? {
        do {
            _ = try Schedule.parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    /// ` (did you mean "x"?)` for the closest candidate within edit distance 2, else "".
    static func suggestion(_ word: String, among candidates: [String]) -> String {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(word.lowercased(), candidate.lowercased())
            if d <= 2, d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best.map { " (did you mean \"\($0.0)\"?)" } ?? ""
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    static func typeName(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }
}

/// One TOML table being read: typed getters that throw `ConfigError`s located by key.
struct ConfigSection {
    let parser: ConfigParser
    let table: TOMLTable
    /// The table's path in the document (for line numbers).
    let path: TOMLPath
    /// Where in the configuration, for messages: `encryption`, `jobs[1] "crm"`.
    let context: String?
    /// This table's path relative to `context`'s table: `drill` in a job's drill table.
    let keyPrefix: TOMLPath

    func has(_ key: String) -> Bool { table[key] != nil }

    func line(of key: String) -> Int? { parser.locator.nearestLine(of: path.appending(key)) }

    func error(_ kind: ConfigError.Kind, _ key: String?, _ message: String) -> ConfigError {
        error(kind, at: key.map { TOMLPath([.key($0)]) }, message)
    }

    /// An error located at `key` (relative to this table), or at the table itself.
    func error(_ kind: ConfigError.Kind, at key: TOMLPath?, _ message: String) -> ConfigError {
        let absolute = key.map { path.appending($0) } ?? path
        let shownKey = key.map { keyPrefix.appending($0) } ?? keyPrefix
        return ConfigError(
            kind: kind, file: parser.file, line: parser.locator.nearestLine(of: absolute), context: context,
            key: shownKey.components.isEmpty ? nil : shownKey.description, message: message)
    }

    /// Of two keys that are both set, the one on the later line (for "both set" errors).
    func laterKey(_ a: String, _ b: String) -> String {
        (line(of: b) ?? 0) >= (line(of: a) ?? 0) ? b : a
    }

    /// Refuses keys not in `allowed`, the first in the file first, suggesting a close known key.
    func checkKeys(_ allowed: [String]) throws {
        let unknown = table.keys.filter { !allowed.contains($0) }
        guard !unknown.isEmpty else { return }
        let first = unknown.min { (line(of: $0) ?? Int.max, $0) < (line(of: $1) ?? Int.max, $1) }!
        throw error(.unknownKey, first, "unknown key" + ConfigParser.suggestion(first, among: allowed))
    }

    private func typed(_ key: String, _ expected: TOMLType..., named name: String? = nil) throws -> TOMLValue? {
        guard let value = table[key] else { return nil }
        guard expected.contains(value.type) else {
            throw error(
                .wrongType, key,
                "expected \(name ?? ConfigParser.typeName(expected[0])), found \(ConfigParser.typeName(value.type))")
        }
        return value.tomlValue
    }

    func string(_ key: String) throws -> String? { try typed(key, .string)?.string }

    func bool(_ key: String) throws -> Bool? { try typed(key, .bool)?.bool }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw error(.missingKey, key, "required key is missing") }
        return value
    }

    func nonEmptyString(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        if value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw error(.invalidValue, key, "must not be empty")
        }
        return value
    }

    func requiredNonEmptyString(_ key: String) throws -> String {
        guard let value = try nonEmptyString(key) else { throw error(.missingKey, key, "required key is missing") }
        return value
    }

    func absolutePath(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard value.hasPrefix("/") else {
            throw error(.invalidValue, key, "must be an absolute path, found \"\(value)\"")
        }
        return value
    }

    func requiredAbsolutePath(_ key: String) throws -> String {
        guard let value = try absolutePath(key) else { throw error(.missingKey, key, "required key is missing") }
        return value
    }

    func int(_ key: String, min: Int? = nil, max: Int? = nil) throws -> Int? {
        guard let value = try typed(key, .int)?.int else { return nil }
        if let min, value < min {
            throw error(.invalidValue, key, max.map { "must be between \(min) and \($0), found \(value)" } ?? "must be at least \(min), found \(value)")
        }
        if let max, value > max {
            throw error(.invalidValue, key, "must be between \(min ?? Int.min) and \(max), found \(value)")
        }
        return value
    }

    /// An integer or a floating-point number, finite.
    func number(_ key: String, min: Double? = nil) throws -> Double? {
        guard let value = try typed(key, .double, .int, named: "a number") else { return nil }
        let number = value.type == .int ? Double(value.int!) : value.double!
        guard number.isFinite else { throw error(.invalidValue, key, "must be a finite number, found \(number)") }
        if let min, number < min {
            throw error(.invalidValue, key, "must be at least \(Int(min)), found \(number)")
        }
        return number
    }

    func stringArray(_ key: String) throws -> [String]? {
        guard let array = try typed(key, .array)?.array else { return nil }
        var out: [String] = []
        for (i, element) in array.enumerated() {
            guard let s = element.string else {
                throw error(
                    .wrongType, at: TOMLPath([.key(key), .index(i)]),
                    "expected a string, found \(ConfigParser.typeName(element.type))")
            }
            out.append(s)
        }
        return out
    }

    func timeZone(_ key: String) throws -> String? {
        guard let name = try string(key) else { return nil }
        if let problem = ZoneName.problem(name) { throw error(.invalidValue, key, problem) }
        return name
    }

    func schedule(_ key: String) throws -> String? {
        guard let text = try string(key) else { return nil }
        do {
            return try Schedule.parse(text).text
        } catch let problem {
            throw error(.invalidValue, key, problem.description)
        }
    }

    func url(_ key: String, schemes: [String]) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), schemes.contains(scheme),
              let host = c.host, !host.isEmpty
        else {
            throw error(
                .invalidValue, key,
                "\"\(text)\" is not a URL of the form \(schemes.map { "\($0)://host/…" }.joined(separator: " or "))")
        }
        return text
    }

    /// A sub-table; a key prefix continues the current context (a job's `drill`), a new
    /// context starts a section (`encryption`).
    func subtable(_ key: String, context newContext: String? = nil) throws -> ConfigSection? {
        guard let value = try typed(key, .table), let sub = value.table else { return nil }
        return ConfigSection(
            parser: parser, table: sub, path: path.appending(key), context: newContext ?? context,
            keyPrefix: newContext == nil ? keyPrefix.appending(key) : .root)
    }

    /// An array of tables (`[[jobs]]`); each entry's context is `jobs[i]` until it is named.
    func tableArray(_ key: String) throws -> [ConfigSection] {
        guard let value = table[key] else { return [] }
        let wrongType = error(
            .wrongType, key,
            "expected an array of tables ([[\(key)]]), found \(ConfigParser.typeName(value.type))")
        guard let array = value.array else { throw wrongType }
        return try array.enumerated().map { i, element in
            guard let sub = element.table else { throw wrongType }
            let entryPath = path.appending(key).appending(index: i)
            return ConfigSection(parser: parser, table: sub, path: entryPath, context: entryPath.description, keyPrefix: .root)
        }
    }

    /// This entry of `[[list]]` with its name in the context (`jobs[1] "crm"`) when `name` is
    /// a string.
    func named(list: String, index: Int) throws -> ConfigSection {
        guard let name = try string("name") else { return self }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ConfigSection(
            parser: parser, table: table, path: path, context: "\(list)[\(index)] \"\(escaped)\"", keyPrefix: keyPrefix)
    }

    /// Runs a FileSecurity check (unless file checks are off), locating its error at `key`.
    func checkFile(_ key: String, _ filePath: String, what: String, private isPrivate: Bool) throws {
        guard parser.checkFiles else { return }
        do {
            if isPrivate {
                try FileSecurity.checkPrivate(path: filePath, what: what)
            } else {
                try FileSecurity.checkNotWritableByOthers(path: filePath, what: what)
            }
        } catch let e as ConfigError {
            throw error(e.kind, key, "\(filePath): \(e.message)")
        }
    }
}
