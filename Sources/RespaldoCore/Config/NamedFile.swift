/// A file the configuration names (a key, a password, a known_hosts file…), with where it is
/// named: what `check-config` needs to say who cannot read it and which key to look at.
public struct NamedFile: Sendable, Equatable {
    public var path: String
    /// "identity file (SSH private key)", "password file", …
    public var what: String
    /// A secret (private to its owner) rather than a file others may read.
    public var isSecret: Bool
    public var line: Int?
    /// `remotes[0] "geo"`, `jobs[1] "crm"`, `notify`; nil at the top level.
    public var context: String?
    public var key: String

    public init(path: String, what: String, isSecret: Bool, line: Int?, context: String?, key: String) {
        self.path = path
        self.what = what
        self.isSecret = isSecret
        self.line = line
        self.context = context
        self.key = key
    }
}
