import Foundation

/// What to run for a job's source: the argv (recorded in the manifest, so it never holds a
/// secret), extra environment, and secret files to create before and remove after.
struct DumpCommand {
    var argv: [String]
    var environment: [String: String] = [:]
    /// Exit statuses that still mean a complete dump (GNU tar's 1: "some files changed while
    /// being read", which a live file system always risks).
    var tolerableExitCodes: Set<Int32> = [0]
    /// Files holding credentials, written 0600 into the run folder; removed when the run ends.
    var secretFiles: [SecretFile] = []

    struct SecretFile {
        var path: String
        var contents: String
    }

    var toolName: String { URL(fileURLWithPath: argv[0]).lastPathComponent }

    /// Builds the command for `source`. `runDirectory` is a private (0700) folder for this run.
    static func make(for source: SourceConfig, runDirectory: String) throws -> DumpCommand {
        switch source {
        case let .command(argv):
            return DumpCommand(argv: argv)
        case let .files(paths):
            // Members relative to / (tar would strip the slash itself, with a warning per path).
            let relative = paths.map { path -> String in
                let trimmed = String(path.drop { $0 == "/" })
                return trimmed.isEmpty ? "." : trimmed
            }
            return DumpCommand(
                argv: ["tar", "--create", "--file=-", "--format=posix", "--directory=/", "--"] + relative,
                tolerableExitCodes: [0, 1])
        case let .postgres(db):
            return try postgres(db, runDirectory: runDirectory)
        case let .mysql(db):
            return try mysql(db, runDirectory: runDirectory)
        }
    }

    private static func postgres(_ db: DatabaseSource, runDirectory: String) throws -> DumpCommand {
        var argv = ["pg_dump", "--format=plain", "--no-password"]
        if let host = db.host { argv.append("--host=\(host)") }
        if let port = db.port { argv.append("--port=\(port)") }
        if let user = db.user { argv.append("--username=\(user)") }
        argv += db.dumpArgs
        argv.append("--dbname=\(db.database)")
        var command = DumpCommand(argv: argv)
        if let passwordFile = db.passwordFile {
            // pg_dump reads the password from a pgpass file named in PGPASSFILE: never argv,
            // never a bare environment variable. '*' fields match any host, port, db and user.
            let password = try readPassword(passwordFile)
            let path = runDirectory + "/pgpass"
            command.secretFiles.append(SecretFile(path: path, contents: "*:*:*:*:\(escapePgpass(password))\n"))
            command.environment["PGPASSFILE"] = path
        }
        return command
    }

    private static func mysql(_ db: DatabaseSource, runDirectory: String) throws -> DumpCommand {
        let tool = FileManager.default.isExecutableFile(atPath: "/usr/bin/mariadb-dump") ? "mariadb-dump" : "mysqldump"
        // Credentials go in a defaults file; --defaults-extra-file must come first.
        let path = runDirectory + "/my.cnf"
        var command = DumpCommand(
            argv: [tool, "--defaults-extra-file=\(path)", "--single-transaction", "--routines", "--triggers"]
                + db.dumpArgs + ["--", db.database])
        command.secretFiles.append(SecretFile(path: path, contents: try mysqlDefaults(db)))
        return command
    }

    /// A MySQL/MariaDB client defaults file (`--defaults-extra-file`) that reaches `db`'s
    /// server: the password stays out of argv and the environment.
    static func mysqlDefaults(_ db: DatabaseSource) throws -> String {
        var lines = ["[client]"]
        if let host = db.host { lines.append("host=\(quoteOption(host))") }
        if let port = db.port { lines.append("port=\(port)") }
        if let user = db.user { lines.append("user=\(quoteOption(user))") }
        if let passwordFile = db.passwordFile {
            lines.append("password=\(quoteOption(try readPassword(passwordFile)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The first line of a password file (a trailing newline is not part of the password).
    static func readPassword(_ path: String) throws -> String {
        try FileSecurity.checkPrivate(path: path, what: "password file")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SourceError.secretFile(path: path, reason: "cannot be read as UTF-8 text")
        }
        let password = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard !password.isEmpty else { throw SourceError.secretFile(path: path, reason: "is empty") }
        return password
    }

    static func escapePgpass(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
    }

    /// MySQL option files take double-quoted values with backslash escapes.
    static func quoteOption(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
