import Age
import Foundation
import Storage
import TOMLKit

extension Config {
    /// Reads, checks and validates the configuration file at `path`.
    ///
    /// The file must be a regular file not writable by group or other; when it holds a secret
    /// (a notification URL with credentials or a token, see `ConfigParser.secretInURL`) it
    /// must not be readable by them either. Every file the configuration names is checked
    /// too (existence, regular file, permissions). Throws `ConfigError`.
    public static func load(path: String) throws -> Config {
        let (config, problems) = try loadReporting(path: path)
        if var first = problems.first {
            first.more = Array(problems.dropFirst())
            throw first
        }
        return config
    }

    /// `load`, for `check-config`: a file that parses comes back with the problems found
    /// around it (folder ownership, a secret in a readable file), so that more checks can
    /// run on it; a file that does not parse throws all its problems.
    public static func loadReporting(path: String) throws -> (Config, [ConfigError]) {
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
        // The wrong user stops everything at once (it would leave files the service cannot use).
        try StateDirOwner.check(config.stateDir)
        parser.attempt(()) { try FileOwnership.checkFolderChain(config.stateDir, what: "state_dir") }
        parser.attempt(()) { try FileOwnership.checkFolderChain(config.localDir, what: "local_dir") }
        for job in config.jobs {
            // The program a command job runs is as much the config as the config is.
            if case let .command(argv) = job.source, let program = argv.first, program.hasPrefix("/") {
                parser.attempt(()) { try FileOwnership.checkOwner(path: program, what: "command of job \(job.name)") }
            }
        }
        if let secret = parser.secret {
            parser.attempt(()) {
                do {
                    try FileSecurity.checkPrivate(path: path, what: "config file")
                } catch let error as ConfigError {
                    // webhook_url and ping_url can move to a file of their own instead.
                    let instead = secret.key == "smtp_url" ? ""
                        : "; or put the URL in a file of its own (mode 0600) named by \(secret.key)_file, and the config can stay readable by the service's group"
                    throw ConfigError(
                        kind: error.kind, file: path, line: secret.line, context: secret.context,
                        key: secret.key,
                        message: "this URL \(secret.reason), which makes the config file a secret: \(error.message)" + instead)
                }
            }
        }
        return (config, parser.problems)
    }

    /// The configuration at `path` as far as its text goes, without looking at the files it
    /// names, or nil when it cannot be read or has any problem: for shell completion, which
    /// must answer at once and say nothing when it cannot.
    public static func loadForCompletion(path: String) -> Config? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return try? parse(text: text, path: path, checkFiles: false)
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
    var secret: Secret?
    /// Every problem found so far, in the order of the file.
    private(set) var problems: [ConfigError] = []
    /// Every file the configuration names (keys, passwords, known_hosts, …), as checked.
    var namedFiles: [NamedFile] = []

    init(file: String, text: String, checkFiles: Bool) {
        self.file = file
        self.text = text
        self.checkFiles = checkFiles
        self.locator = TOMLLineLocator(text: text)
    }

    /// Runs one check whose failure does not stop the others: its `ConfigError` is recorded
    /// and `fallback` stands in for the value, so one run reports every problem of the file.
    /// (The config built from fallbacks is never returned: `finish` throws first.)
    @discardableResult
    func attempt<T>(_ fallback: T, _ check: () throws -> T) -> T {
        do {
            return try check()
        } catch let error as ConfigError {
            problems += error.all
            return fallback
        } catch {
            problems.append(ConfigError(kind: .invalidValue, file: file, message: "\(error)"))
            return fallback
        }
    }

    func record(_ error: ConfigError) {
        problems += error.all
    }

    /// Throws every problem recorded, the first carrying the others.
    func finish() throws {
        guard var first = problems.first else { return }
        first.more = Array(problems.dropFirst())
        throw first
    }

    /// Parses and validates the whole text; throws every problem found in it.
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
        attempt(()) {
            try top.checkKeys([
                "local_dir", "state_dir", "timezone", "encryption", "retention", "remotes", "jobs", "notify", "metrics",
                "max_parallel", "signing", "trust",
            ])
        }
        let localDir = attempt("/") { try top.requiredAbsolutePath("local_dir") }
        let stateDir = attempt("/") { try top.requiredAbsolutePath("state_dir") }
        let timeZone = attempt(nil) { try top.timeZone("timezone") } ?? TimeZone.current
        let encryption = attempt(nil) { try top.subtable("encryption", context: "encryption").map(parseEncryption) }
        let retention = attempt(nil) { try top.subtable("retention", context: "retention").map(parseRetention) } ?? RetentionPolicy()

        var remotes: [RemoteConfig] = []
        var remoteNameLines: [String: Int?] = [:]
        let remoteEntries: [ConfigSection] = attempt([]) { try top.tableArray("remotes") }
        // Jobs are checked against every remote named, also one whose own table has a problem
        // (that problem is reported once, not again as an unknown remote in each job).
        let declaredRemotes = remoteEntries.compactMap { try? $0.string("name") }
        for (index, entry) in remoteEntries.enumerated() {
            let section = attempt(entry) { try entry.named(list: "remotes", index: index) }
            guard let remote = attempt(nil, { try parseRemote(section) }) else { continue }
            if let first = remoteNameLines[remote.name] {
                record(section.error(
                    .duplicateName, "name",
                    "duplicate remote name \"\(remote.name)\"\(first.map { " (first defined on line \($0))" } ?? "")"))
            }
            remoteNameLines[remote.name] = section.line(of: "name")
            remotes.append(remote)
        }

        var jobs: [JobConfig] = []
        var jobNameLines: [String: Int?] = [:]
        let jobEntries: [ConfigSection] = attempt([]) { try top.tableArray("jobs") }
        for (index, entry) in jobEntries.enumerated() {
            let section = attempt(entry) { try entry.named(list: "jobs", index: index) }
            guard let job = attempt(nil, { try parseJob(section, remotes: declaredRemotes, timeZone: timeZone) }) else { continue }
            if let first = jobNameLines[job.name] {
                record(section.error(
                    .duplicateName, "name",
                    "duplicate job name \"\(job.name)\"\(first.map { " (first defined on line \($0))" } ?? "")"))
            }
            jobNameLines[job.name] = section.line(of: "name")
            jobs.append(job)
        }

        let notify = attempt(nil) { try top.subtable("notify", context: "notify").map(parseNotify) }
        let metrics = attempt(nil) { try top.subtable("metrics", context: "metrics").map(parseMetrics) }
        var config = Config(
            path: file, localDir: localDir, stateDir: stateDir, timeZone: timeZone, encryption: encryption,
            retention: retention, remotes: remotes, jobs: jobs, notify: notify, metrics: metrics)
        config.maxParallel = attempt(nil) { try top.int("max_parallel", min: 1, max: 64) } ?? 1
        config.signing = attempt(nil) { try top.subtable("signing", context: "signing").map(parseSigning) }
        config.trust = attempt(nil) { try top.subtable("trust", context: "trust").map(parseTrust) }
        config.files = namedFiles
        try finish()
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

        var recipients: [X25519Recipient] = []
        for (i, candidate) in (listed ?? []).enumerated() {
            let recipient: X25519Recipient
            do {
                recipient = try X25519Recipient(candidate.trimmingCharacters(in: .whitespaces))
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
    private func readRecipientsFile(_ s: ConfigSection, _ path: String) throws -> [X25519Recipient] {
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
            return try RecipientsFile.parse(contents)
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
        attempt(()) {
            guard ConfigParser.isName(name, allowDots: true) else {
                throw s.error(
                    .invalidValue, "name", "\"\(name)\" is not a valid remote name: use letters, digits, '.', '_' and '-'")
            }
        }
        var url = ""
        let endpoint = attempt(nil) { () -> SFTPEndpoint? in
            url = try s.requiredString("url")
            do throws(SFTPEndpointError) {
                return try SFTPEndpoint(url)
            } catch {
                throw s.error(.invalidValue, "url", error.description)
            }
        }
        let identityFile = attempt("") { () -> String in
            let identityFile = try s.requiredAbsolutePath("identity_file")
            try s.checkFile("identity_file", identityFile, what: "identity file (SSH private key)", private: true)
            return identityFile
        }
        let knownHosts = attempt(nil) { try s.absolutePath("known_hosts") }
        let hostKey = attempt(nil) { () -> HostKeyFingerprint? in
            let hostKey = try s.string("host_key_sha256")
            switch (knownHosts, hostKey) {
            case (nil, nil):
                if s.has("known_hosts") { return nil }  // its own problem is reported
                throw s.error(
                    .missingKey, nil,
                    "known_hosts or host_key_sha256: one is required, there is no way to turn host-key checking off")
            case (.some, .some):
                throw s.error(
                    .invalidValue, s.laterKey("known_hosts", "host_key_sha256"),
                    "known_hosts and host_key_sha256 are both set: keep exactly one")
            case (.some(let knownHosts), nil):
                try s.checkFile("known_hosts", knownHosts, what: "known_hosts file", private: false)
                return nil
            case (nil, .some(let pinned)):
                do throws(HostKeyFingerprintError) {
                    return try HostKeyFingerprint(pinned)
                } catch {
                    throw s.error(.invalidValue, "host_key_sha256", error.description)
                }
            }
        }
        let retries = attempt(nil) { try s.int("retries", min: 0) } ?? 4
        let retryDelay = attempt(nil) { try s.number("retry_delay", min: 0) } ?? 5
        var remote = RemoteConfig(name: name, url: url, retries: retries, retryDelay: retryDelay)
        remote.endpoint = endpoint
        remote.identityFile = identityFile
        remote.knownHosts = knownHosts
        remote.hostKey = hostKey
        remote.appendOnly = attempt(nil) { try s.bool("append_only") } ?? false
        remote.bandwidthLimit = attempt(nil) { try bandwidthLimit(s) }
        return remote
    }
}
