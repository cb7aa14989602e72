import Foundation

/// `[signing]`: on the backup server, every manifest and inventory is signed with this key.
public struct SigningConfig: Sendable, Equatable {
    /// An Ed25519 private key in OpenSSH's format (`respaldo keygen --signing`), mode 0600.
    public var keyFile: String

    public init(keyFile: String) { self.keyFile = keyFile }
}

/// `[trust]`: on any host that lists, verifies, restores or drills. With it, only what a key
/// in `signers_file` signed is accepted, in the chain and inventory it signed.
public struct TrustConfig: Sendable, Equatable {
    /// OpenSSH allowed_signers (`ssh-keygen -Y verify -f`).
    public var signersFile: String
    /// The newest signed snapshot and the newest inventory of a job may be at most this old.
    public var maxAge: ConfigDuration

    public init(signersFile: String, maxAge: ConfigDuration) {
        self.signersFile = signersFile
        self.maxAge = maxAge
    }
}

extension ConfigParser {
    func parseSigning(_ s: ConfigSection) throws -> SigningConfig {
        try s.checkKeys(["key_file"])
        let keyFile = try s.requiredAbsolutePath("key_file")
        try s.checkFile("key_file", keyFile, what: "signing key", private: true)
        return SigningConfig(keyFile: keyFile)
    }

    func parseTrust(_ s: ConfigSection) throws -> TrustConfig {
        try s.checkKeys(["signers_file", "max_age"])
        let signersFile = try s.requiredAbsolutePath("signers_file")
        try s.checkFile("signers_file", signersFile, what: "allowed signers file", private: false)
        guard let maxAge = try s.duration("max_age", examples: "\"36h\", \"2d\" or \"90m\"") else {
            throw s.error(.missingKey, "max_age", "required key is missing")
        }
        return TrustConfig(signersFile: signersFile, maxAge: maxAge)
    }
}
