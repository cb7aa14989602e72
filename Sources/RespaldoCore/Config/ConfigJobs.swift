import Foundation
import TOMLKit

/// `[[jobs]]` entries and their `[jobs.drill]` tables.
extension ConfigParser {
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
}
