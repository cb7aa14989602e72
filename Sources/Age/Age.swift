// age v1 (age-encryption.org/v1), the file encryption format respaldo uses for backups at rest.
//
// An age file is `header ‖ nonce(16) ‖ STREAM payload`. A random 16-byte *file key* encrypts the
// payload; the header carries that file key wrapped once per recipient (one `Stanza` each) and is
// authenticated by an HMAC keyed from the file key. Layout of this module, after FiloSottile/age:
//
//   Age.swift             public model: Stanza, Recipient, Identity, AgeError
//   Base64.swift          the strict base64 codecs of the header and the armor
//   Format.swift          header and stanza parsing and serialization
//   Stream.swift          STREAM: ChaCha20-Poly1305 over 64 KiB chunks with a final flag
//   X25519Recipient.swift X25519 recipients (age1…) and identities (AGE-SECRET-KEY-1…)
//   ScryptRecipient.swift passphrase recipients and identities
//   Bech32.swift          the key encoding
//   Armor.swift           the PEM-style ASCII armor
//   KeyFiles.swift        age-keygen identity files and recipients files
//   AgeEncryptor.swift, AgeDecryptor.swift   the streaming entry points
//
// The module knows nothing of files or configuration; callers feed bytes in and get bytes out.

/// One recipient's wrapped copy of the file key: `-> TYPE ARG…` followed by a base64 body.
public struct Stanza: Sendable, Equatable {
    /// The stanza type (first argument), compared case-sensitively: "X25519", "scrypt", …
    public var type: String
    /// The remaining arguments, each a non-empty run of printable ASCII without spaces.
    public var args: [String]
    /// The decoded body.
    public var body: [UInt8]

    public init(type: String, args: [String], body: [UInt8]) {
        self.type = type
        self.args = args
        self.body = body
    }
}

/// Something a file can be encrypted to. `wrap` is called once per file with a fresh file key.
public protocol Recipient: Sendable {
    func wrap(fileKey: [UInt8]) throws -> [Stanza]
}

/// Something that can recover a file key from a header's stanzas.
public protocol Identity: Sendable {
    /// Returns the file key, or nil when none of the stanzas is addressed to this identity
    /// (unknown types, or an authentication tag that does not verify under this key).
    /// Throws `AgeError.headerFailure` for a malformed stanza of its own type: a malformed
    /// stanza is an attack or corruption, never a silent "not mine".
    func unwrap(stanzas: [Stanza]) throws -> [UInt8]?
}

/// Why an age operation failed. The cases follow the age test kit's outcome classes, so a
/// low-level problem (bad syntax) is never reported as a higher-level one (wrong key).
public enum AgeError: Error, Equatable, CustomStringConvertible {
    /// The header is malformed, or a stanza addressed to one of our identities is.
    case headerFailure(String)
    /// A file key was unwrapped but the header MAC does not match: the header was altered.
    case hmacFailure
    /// The header is fine but the payload does not decrypt to its end (corruption, truncation,
    /// trailing data). Plaintext released before this error was authenticated.
    case payloadFailure(String)
    /// The ASCII armor is malformed.
    case armorFailure(String)
    /// None of the identities can unwrap any stanza (wrong key or passphrase).
    case noMatch
    /// A key, recipient, identity file or recipient set is invalid.
    case invalidKey(String)

    public var description: String {
        switch self {
        case .headerFailure(let reason): return "invalid age header: \(reason)"
        case .hmacFailure: return "age header MAC mismatch: the header was modified or is corrupt"
        case .payloadFailure(let reason): return "age payload cannot be decrypted: \(reason)"
        case .armorFailure(let reason): return "invalid age ASCII armor: \(reason)"
        case .noMatch: return "no identity matched any of the file's recipients"
        case .invalidKey(let reason): return "invalid age key: \(reason)"
        }
    }
}

/// Constants shared by the key types, the header and the payload.
enum AgeConstants {
    /// The file key is 16 bytes; every stanza body wrapping it is 16 + 16 (tag) = 32 bytes.
    static let fileKeySize = 16
    static let wrappedFileKeySize = fileKeySize + 16
    static let payloadNonceSize = 16
    /// Wrap keys are derived fresh for every stanza (from an ephemeral X25519 share or a random
    /// scrypt salt) and encrypt exactly one message, so a fixed all-zero nonce is safe there.
    static let wrapNonce = [UInt8](repeating: 0, count: 12)
}
