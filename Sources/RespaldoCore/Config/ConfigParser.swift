import Foundation
import TOMLKit

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

    /// Records a second `[[remotes]]` or `[[jobs]]` entry of the same name, with the line of the first.
    private func checkUnique(_ kind: String, _ name: String, in section: ConfigSection, seen: inout [String: Int?]) {
        if let first = seen[name] {
            record(section.error(
                .duplicateName, "name", "duplicate \(kind) name \"\(name)\"\(first.map { " (first defined on line \($0))" } ?? "")"))
        }
        seen[name] = section.line(of: "name")
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
            checkUnique("remote", remote.name, in: section, seen: &remoteNameLines)
            remotes.append(remote)
        }

        var jobs: [JobConfig] = []
        var jobNameLines: [String: Int?] = [:]
        let jobEntries: [ConfigSection] = attempt([]) { try top.tableArray("jobs") }
        for (index, entry) in jobEntries.enumerated() {
            let section = attempt(entry) { try entry.named(list: "jobs", index: index) }
            guard let job = attempt(nil, { try parseJob(section, remotes: declaredRemotes, timeZone: timeZone) }) else { continue }
            checkUnique("job", job.name, in: section, seen: &jobNameLines)
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
}
