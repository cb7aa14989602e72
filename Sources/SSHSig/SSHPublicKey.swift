import CryptoPrimitives
import Foundation

/// An OpenSSH Ed25519 public key: the `ssh-ed25519 AAAA…` of `.pub` files, authorized_keys
/// and allowed_signers.
///
/// Only Ed25519 exists here on purpose: one algorithm with fixed sizes and no parameters
/// leaves nothing to negotiate and nothing to downgrade. Other types are refused with an error
/// that names them, so an operator knows to create an ed25519 key.
public struct SSHPublicKey: Equatable, Hashable, Sendable, CustomStringConvertible {
    public static let keyType = "ssh-ed25519"

    /// The 32-byte Ed25519 public key.
    public let raw: [UInt8]

    public init(raw: [UInt8]) throws(SSHSigError) {
        guard raw.count == Ed25519.publicKeySize else {
            throw .malformedKey("an Ed25519 public key is \(Ed25519.publicKeySize) bytes, got \(raw.count)")
        }
        self.raw = raw
    }

    /// Reads a public key line, `ssh-ed25519 <base64> [comment]`; the comment is ignored.
    public init(line: String) throws(SSHSigError) {
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 2 else {
            throw .malformedKey("expected \"ssh-ed25519 <base64-key> [comment]\"")
        }
        let type = String(fields[0])
        guard type == Self.keyType else { throw .unsupportedKeyType(type) }
        try self.init(base64Blob: String(fields[1]))
    }

    /// Reads the base64 of a wire blob, as found in the second field of a key line.
    init(base64Blob: String) throws(SSHSigError) {
        guard let blob = Data(base64Encoded: base64Blob) else { throw .malformedKey("the key is not valid base64") }
        try self.init(wireBlob: [UInt8](blob))
    }

    /// Reads the wire blob, `string "ssh-ed25519" || string key(32)`. The type inside the blob
    /// is checked too: a line whose label says ed25519 around an RSA blob is refused.
    public init(wireBlob: [UInt8]) throws(SSHSigError) {
        var reader = SSHWireReader(wireBlob, malformed: SSHSigError.malformedKey)
        let type = try reader.readText("public key type")
        guard type == Self.keyType else { throw .unsupportedKeyType(type) }
        let raw = try reader.readString("Ed25519 public key")
        try reader.expectEnd("the public key")
        try self.init(raw: raw)
    }

    /// `string "ssh-ed25519" || string key`: what fingerprints hash, and what key files and
    /// signatures embed.
    public var wireBlob: [UInt8] {
        var writer = SSHWireWriter()
        writer.string(Self.keyType)
        writer.string(raw)
        return writer.bytes
    }

    /// `ssh-ed25519 <base64>`, without a comment.
    public var line: String {
        "\(Self.keyType) \(Data(wireBlob).base64EncodedString())"
    }

    /// "SHA256:" and the unpadded base64 SHA-256 of the wire blob: what `ssh-keygen -lf`
    /// prints, so an operator can compare it with their own tools.
    public var fingerprint: String {
        let base64 = Data(SHA256.hash(wireBlob)).base64EncodedString()
        return "SHA256:" + base64.replacingOccurrences(of: "=", with: "")
    }

    public var description: String { "\(Self.keyType) \(fingerprint)" }
}
