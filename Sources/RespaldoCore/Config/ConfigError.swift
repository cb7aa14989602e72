/// Every problem found while loading a configuration: TOML syntax, unknown keys, wrong types,
/// missing or impossible values, and insecure or missing files (FileSecurity throws it too).
/// The command line maps it to exit status 2.
///
/// Its description reads like a compiler's:
/// `/etc/respaldo/respaldo.toml:12: jobs[1] "crm": key "compresion_level": unknown key (did you mean "compression_level"?)`
/// — the file, the line when known, where in the configuration (a section, or a job or
/// remote by index and name), the key path within it, and the problem.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The text is not valid TOML.
        case syntax
        /// A key respaldo does not know (often a typo).
        case unknownKey
        /// A value of the wrong TOML type.
        case wrongType
        /// A required key is absent.
        case missingKey
        /// A value of the right type that is out of range, not an allowed choice, a bad URL,
        /// a relative path, or a combination of keys that cannot be.
        case invalidValue
        /// Two jobs or two remotes with the same name.
        case duplicateName
        /// A job names a remote that no `[[remotes]]` entry defines.
        case unknownRemote
        /// A file that group or other can write, or a secret that they can read.
        case insecurePermissions
        /// A file that is missing, not a regular file, or unreadable.
        case fileProblem
        /// The command runs as another user than the owner of `state_dir`.
        case wrongUser
    }

    public var kind: Kind
    /// The configuration file (or, for a FileSecurity check on its own, the checked file).
    public var file: String
    /// 1-based line in `file`, when known.
    public var line: Int?
    /// 1-based column, for TOML syntax errors.
    public var column: Int?
    /// Where in the configuration: `encryption`, `remotes[0] "geo"`, `jobs[1] "crm"`; nil at
    /// the top level.
    public var context: String?
    /// The key path within `context`: `compression_level`, `drill.checks`, `paths[2]`.
    public var key: String?
    public var message: String
    /// The other problems found in the same file, in the order of the file: the parser goes on
    /// after a bad key, so that one run of `check-config` shows everything to fix.
    public var more: [ConfigError] = []

    public init(
        kind: Kind, file: String, line: Int? = nil, column: Int? = nil, context: String? = nil,
        key: String? = nil, message: String
    ) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.context = context
        self.key = key
        self.message = message
    }

    /// This problem and the others found with it, one each.
    public var all: [ConfigError] {
        var first = self
        first.more = []
        return [first] + more
    }

    /// Every problem, one per line, the first first.
    public var description: String {
        all.map(\.oneLine).joined(separator: "\n")
    }

    private var oneLine: String {
        var out = file
        if let line {
            out += ":\(line)"
            if let column { out += ":\(column)" }
        }
        out += ":"
        if let context { out += " \(context):" }
        if let key { out += " key \"\(key)\":" }
        return out + " " + message
    }
}
