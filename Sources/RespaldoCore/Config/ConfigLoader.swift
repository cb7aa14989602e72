import Foundation

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
