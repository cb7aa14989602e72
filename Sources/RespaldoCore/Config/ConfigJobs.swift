import Foundation
import TOMLKit

/// `[[jobs]]` entries and their `[jobs.drill]` tables. The keys of a job are checked one by
/// one (`attempt`): a job with three mistakes shows three errors.
extension ConfigParser {
    static let databaseKeys = ["database", "host", "port", "user", "dump_args", "password_file"]

    /// `remotes`: the names of every `[[remotes]]` entry, the ones jobs may use; `timeZone`:
    /// the configuration's, for a job without its own.
    func parseJob(_ s: ConfigSection, remotes: [String], timeZone: TimeZone) throws -> JobConfig {
        try s.checkKeys(
            ["name", "schedule", "timezone", "source"] + Self.databaseKeys + [
                "paths", "command", "compression_level", "compression_threads", "upload", "remotes", "min_bytes", "max_shrink", "sanity", "drill",
                "nice", "ionice", "timeout",
            ])
        let name = try s.requiredString("name")
        attempt(()) {
            guard ConfigParser.isName(name, allowDots: false) else {
                throw s.error(
                    .invalidValue, "name", "\"\(name)\" is not a valid job name: use letters, digits, '_' and '-'")
            }
        }
        let schedule = attempt(nil) { try s.schedule("schedule") }
        let ownZone = attempt(nil) { try s.timeZone("timezone") }
        let source = attempt(SourceConfig.command(argv: ["/bin/false"])) { try parseSource(s) }
        let compressionLevel = attempt(nil) { try s.int("compression_level", min: 0, max: 9) } ?? 6
        let compressionThreads = attempt(nil) { try s.int("compression_threads", min: 1, max: 256) }
        let remoteNames = attempt([]) { try parseJobRemotes(s, job: name, remotes: remotes) }
        let minBytes = attempt(nil) { try s.int("min_bytes", min: 0) } ?? 1
        let maxShrink = attempt(nil) { () -> Double? in
            let maxShrink = try s.number("max_shrink")
            if let maxShrink, !(maxShrink > 0 && maxShrink < 1) {
                throw s.error(
                    .invalidValue, "max_shrink",
                    "must be between 0 and 1 exclusive (0.5: a dump less than half the previous one fails), found \(maxShrink)")
            }
            return maxShrink
        }
        let sanity = attempt(SanityMode.fail) {
            let text = try s.string("sanity") ?? "fail"
            guard let sanity = SanityMode(rawValue: text) else {
                throw s.error(.invalidValue, "sanity", "\"\(text)\" is not a mode; expected \"fail\" or \"warn\"")
            }
            return sanity
        }
        let drill = attempt(nil) { try s.subtable("drill").map(parseDrill) }
        var job = JobConfig(
            name: name, schedule: schedule, timeZone: ownZone ?? timeZone, source: source, compressionLevel: compressionLevel,
            remotes: remoteNames, minBytes: Int64(minBytes), maxShrink: maxShrink, sanity: sanity, drill: drill)
        job.compressionThreads = compressionThreads
        job.uploadMode = attempt(UploadMode.after) {
            guard let mode = try s.string("upload") else { return .after }
            guard let parsed = UploadMode(rawValue: mode) else {
                throw s.error(.invalidValue, "upload", "\"\(mode)\" is not an upload mode; expected \"after\" or \"streaming\"")
            }
            return parsed
        }
        job.priority = attempt(DumpPriority()) { try parsePriority(s) }
        job.timeout = attempt(JobConfig.defaultTimeout) { try parseJobTimeout(s) }
        return job
    }

    /// `source` and the keys of its kind.
    private func parseSource(_ s: ConfigSection) throws -> SourceConfig {
        let kind = try s.requiredString("source")
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
            return kind == "postgres" ? .postgres(database) : .mysql(database)
        case "files", "command":
            for key in Self.databaseKeys where s.has(key) {
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
                return .files(paths: paths)
            }
            guard let argv = try s.stringArray("command") else {
                throw s.error(.missingKey, "command", "required for source = \"command\"")
            }
            guard let program = argv.first, !program.isEmpty else {
                throw s.error(
                    .invalidValue, "command",
                    "must be a non-empty argv array, program first (no shell), e.g. [\"/usr/local/bin/dump-all\"]")
            }
            return .command(argv: argv)
        default:
            throw s.error(
                .invalidValue, "source",
                "\"\(kind)\" is not a source; expected one of postgres, mysql, files, command"
                    + ConfigParser.suggestion(kind, among: ["postgres", "mysql", "files", "command"]))
        }
    }

    /// The job's `remotes`, each defined once in `[[remotes]]` and listed once.
    private func parseJobRemotes(_ s: ConfigSection, job name: String, remotes: [String]) throws -> [String] {
        let remoteNames = try s.stringArray("remotes") ?? []
        for (i, remote) in remoteNames.enumerated() {
            let key = TOMLPath([.key("remotes"), .index(i)])
            if !remotes.contains(remote) {
                let known = remotes.map { "\"\($0)\"" }.joined(separator: ", ")
                record(s.error(
                    .unknownRemote, at: key,
                    "job \"\(name)\" uses unknown remote \"\(remote)\" ("
                        + (known.isEmpty ? "no [[remotes]] are defined" : "defined remotes: \(known)") + ")"
                        + ConfigParser.suggestion(remote, among: remotes)))
            } else if remoteNames[..<i].contains(remote) {
                record(s.error(.invalidValue, at: key, "remote \"\(remote)\" is listed twice"))
            }
        }
        return remoteNames
    }

    /// `nice` (0-19) and `ionice` ("idle", "best-effort", "best-effort:N").
    private func parsePriority(_ s: ConfigSection) throws -> DumpPriority {
        var priority = DumpPriority()
        priority.nice = attempt(nil) {
            guard let nice = try s.int("nice") else { return nil }
            guard (0...19).contains(nice) else {
                throw s.error(
                    .invalidValue, "nice",
                    "must be between 0 and 19 (19: the dump gets the CPU only when nothing else wants it), found \(nice); "
                        + "a negative value would need privileges the service does not have")
            }
            return nice
        }
        priority.io = attempt(nil) {
            guard let text = try s.string("ionice") else { return nil }
            guard let io = DumpPriority.IOClass.parse(text) else {
                throw s.error(
                    .invalidValue, "ionice",
                    "\"\(text)\" is not an I/O class; expected \"idle\", \"best-effort\" or \"best-effort:N\" (N from 0, first, to 7, last)")
            }
            return io
        }
        return priority
    }

    func parseDrill(_ s: ConfigSection) throws -> DrillConfig {
        try s.checkKeys(["checks", "schedule", "host", "port", "user", "identity_file", "restore_command", "password_file"])
        let identityFile = attempt(nil) { () -> String? in
            let identityFile = try s.absolutePath("identity_file")
            if let identityFile {
                try s.checkFile("identity_file", identityFile, what: "identity file", private: true)
            }
            return identityFile
        }
        let passwordFile = attempt(nil) { () -> String? in
            let passwordFile = try s.absolutePath("password_file")
            if let passwordFile {
                try s.checkFile("password_file", passwordFile, what: "password file", private: true)
            }
            return passwordFile
        }
        let restoreCommand = attempt(nil) { () -> [String]? in
            let restoreCommand = try s.stringArray("restore_command")
            if let restoreCommand, restoreCommand.first?.isEmpty ?? true {
                throw s.error(
                    .invalidValue, "restore_command", "must be a non-empty argv array, program first (no shell)")
            }
            return restoreCommand
        }
        return DrillConfig(
            checks: attempt(nil) { try s.stringArray("checks") } ?? [],
            schedule: attempt(nil) { try s.schedule("schedule") },
            host: attempt(nil) { try s.nonEmptyString("host") },
            port: attempt(nil) { try s.int("port", min: 1, max: 65535) },
            user: attempt(nil) { try s.nonEmptyString("user") },
            identityFile: identityFile,
            restoreCommand: restoreCommand,
            passwordFile: passwordFile)
    }
}
