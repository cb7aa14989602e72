import CryptoPrimitives

/// An Ed25519 signing key in OpenSSH's own key file format ("openssh-key-v1", the
/// `-----BEGIN OPENSSH PRIVATE KEY-----` files `ssh-keygen -t ed25519` writes).
///
/// Only unencrypted files are read. The daemon signs unattended, so a passphrase would have to
/// sit next to the key anyway; the key file is protected by its mode (0600) and owner instead,
/// and a passphrase-protected file gets an error that says so.
///
/// The seed never appears in `description`, `debugDescription` or a `Mirror` (`dump`,
/// debugger summaries): those print only the public fingerprint, because such strings end up
/// in logs.
public struct SSHPrivateKey: Sendable {
    /// Largest key file text accepted. An Ed25519 key file is about 400 bytes.
    public static let maxFileSize = 64 * 1024

    private static let label = "OPENSSH PRIVATE KEY"
    private static let magic = Array("openssh-key-v1".utf8) + [0]
    /// The private section is padded to the cipher's block size; for cipher "none" OpenSSH
    /// uses 8.
    private static let blockSize = 8

    private let seed: [UInt8]
    public let publicKey: SSHPublicKey
    public let comment: String

    /// A new random key.
    public static func generate(comment: String) -> SSHPrivateKey {
        do {
            return try SSHPrivateKey(seed: Ed25519.generateSeed(), comment: comment)
        } catch {
            // Deriving the public key of a well-sized seed fails only if libcrypto itself is
            // broken; like a failing RNG (see secureRandomBytes) that is not recoverable.
            fatalError("SSHPrivateKey.generate: \(error)")
        }
    }

    /// The key for a 32-byte Ed25519 seed.
    public init(seed: [UInt8], comment: String) throws(SSHSigError) {
        do {
            publicKey = try SSHPublicKey(raw: Ed25519.publicKey(seed: seed))
        } catch let error as SSHSigError {
            throw error
        } catch {
            throw .malformedKey("invalid Ed25519 seed: \(error)")
        }
        self.seed = seed
        self.comment = comment
    }

    /// Reads an unencrypted OpenSSH private key file holding one ssh-ed25519 key.
    ///
    /// Besides the structure, two things are checked that catch corruption and tampering:
    /// the two check integers must be equal (OpenSSH uses them to detect a wrong passphrase;
    /// here they catch a damaged file), and the public key stored in the file must be the one
    /// the seed derives, so the file cannot pair someone else's public key with our seed.
    public init(pem: String) throws(SSHSigError) {
        guard pem.utf8.count <= Self.maxFileSize else {
            throw .inputTooLarge(what: "private key file", limit: Self.maxFileSize)
        }
        let blob = try SSHArmor.decode(pem, label: Self.label, malformed: SSHSigError.malformedKey)
        var outer = SSHWireReader(blob, malformed: SSHSigError.malformedKey)
        guard try outer.readRaw(Self.magic.count, "magic") == Self.magic else {
            throw .malformedKey("not an openssh-key-v1 file")
        }
        let cipher = try outer.readText("cipher name")
        let kdf = try outer.readText("KDF name")
        let kdfOptions = try outer.readString("KDF options")
        guard cipher == "none" else { throw .encryptedPrivateKey(cipher: cipher) }
        guard kdf == "none", kdfOptions.isEmpty else {
            throw .malformedKey("KDF \"\(kdf)\" with cipher \"none\"")
        }
        let count = try outer.readUInt32("key count")
        guard count == 1 else { throw .malformedKey("the file holds \(count) keys; exactly one is supported") }
        let publicKey = try SSHPublicKey(wireBlob: outer.readString("public key"))
        let section = try outer.readString("private section")
        try outer.expectEnd("the private section")

        guard section.count % Self.blockSize == 0 else {
            throw .malformedKey("private section length \(section.count) is not a multiple of \(Self.blockSize)")
        }
        var inner = SSHWireReader(section, malformed: SSHSigError.malformedKey)
        guard try inner.readUInt32("check integer") == inner.readUInt32("check integer") else {
            throw .malformedKey("the check integers differ: the file is damaged")
        }
        let type = try inner.readText("private key type")
        guard type == SSHPublicKey.keyType else { throw .unsupportedKeyType(type) }
        let innerPublic = try inner.readString("public key")
        // OpenSSH stores the 64-byte "secret key" of the Ed25519 paper: seed || public key.
        let secret = try inner.readString("private key")
        guard secret.count == Ed25519.seedSize + Ed25519.publicKeySize else {
            throw .malformedKey("the Ed25519 private key is \(secret.count) bytes, expected 64")
        }
        let comment = String(decoding: try inner.readString("comment"), as: UTF8.self)
        try Self.checkPadding(inner.readRaw(inner.remaining, "padding"))

        try self.init(seed: Array(secret[0..<Ed25519.seedSize]), comment: comment)
        guard self.publicKey == publicKey,
              innerPublic == publicKey.raw,
              Array(secret[Ed25519.seedSize...]) == publicKey.raw
        else {
            throw .malformedKey("the public key in the file does not belong to its private key")
        }
    }

    /// The key file, in the layout `ssh-keygen` writes: random check integers, padding
    /// 1, 2, 3, … to the 8-byte block, base64 in 70-column lines. Write it with mode 0600.
    public func pem() -> String {
        let check = secureRandomBytes(4)
        var section = SSHWireWriter()
        section.raw(check)
        section.raw(check)
        section.string(SSHPublicKey.keyType)
        section.string(publicKey.raw)
        section.string(seed + publicKey.raw)
        section.string(comment)
        var pad: UInt8 = 1
        while section.bytes.count % Self.blockSize != 0 {
            section.raw([pad])
            pad += 1
        }
        var file = SSHWireWriter()
        file.raw(Self.magic)
        file.string("none")
        file.string("none")
        file.string([UInt8]())
        file.uint32(1)
        file.string(publicKey.wireBlob)
        file.string(section.bytes)
        return SSHArmor.encode(file.bytes, label: Self.label)
    }

    /// The raw Ed25519 signature of `data`.
    func sign(_ data: [UInt8]) throws(SSHSigError) -> [UInt8] {
        do {
            return try Ed25519.sign(data, seed: seed)
        } catch {
            throw .signingFailed("\(error)")
        }
    }

    /// OpenSSH pads with the bytes 1, 2, 3, … and checks them on load; anything else there
    /// means the section was altered or misparsed.
    private static func checkPadding(_ padding: [UInt8]) throws(SSHSigError) {
        guard padding.count < blockSize else {
            throw .malformedKey("\(padding.count) bytes after the key; expected padding below \(blockSize)")
        }
        for (index, byte) in padding.enumerated() where Int(byte) != index + 1 {
            throw .malformedKey("invalid padding after the key")
        }
    }
}

extension SSHPrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        comment.isEmpty ? "SSHPrivateKey(\(publicKey))" : "SSHPrivateKey(\(publicKey) \"\(comment)\")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": publicKey, "comment": comment], displayStyle: .struct)
    }
}
