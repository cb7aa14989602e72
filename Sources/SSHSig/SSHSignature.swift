import CryptoPrimitives
import Foundation

/// SSHSIG signatures: OpenSSH's format for signing files (`ssh-keygen -Y sign`/`-Y verify`,
/// specified in OpenSSH's PROTOCOL.sshsig). respaldo signs with it so that anyone can check a
/// manifest with stock ssh-keygen, and so that it checks what ssh-keygen signed.
///
/// A signature blob is
///
///     byte[6] "SSHSIG" || uint32 1 || string publickey || string namespace
///     || string reserved || string hash_algorithm || string signature
///
/// and the key signs `byte[6] "SSHSIG" || string namespace || string reserved ||
/// string hash_algorithm || string H(message)`, never the message itself. The namespace binds
/// a signature to one purpose: a manifest signature cannot be replayed as, say, a git commit
/// signature made with the same key, and vice versa.
public enum SSHSignature {
    /// Largest armored signature accepted. An Ed25519 signature is under 400 bytes; the cap
    /// only bounds what a hostile remote can make us read.
    public static let maxArmoredSize = 64 * 1024
    /// Longest namespace `sign` accepts; real namespaces are short names like "file".
    public static let maxNamespaceLength = 256

    static let label = "SSH SIGNATURE"
    static let magic = Array("SSHSIG".utf8)
    static let version: UInt32 = 1

    /// The digest of the message that the key actually signs.
    public enum HashAlgorithm: String, Sendable, Equatable {
        case sha256
        case sha512

        func hash(_ message: [UInt8]) -> [UInt8] {
            switch self {
            case .sha256: return SHA256.hash(message)
            case .sha512: return SHA512.hash(message)
            }
        }
    }

    /// The fields of a signature blob, before any trust decision.
    public struct ParsedSignature: Equatable, Sendable {
        public var publicKey: SSHPublicKey
        public var namespace: String
        public var hashAlgorithm: HashAlgorithm
        /// The 64-byte Ed25519 signature.
        public var signature: [UInt8]
    }

    /// A signature that verified, by a key the allowed signers trust for its namespace.
    public struct Verified: Equatable, Sendable {
        /// The first principal of the allowed_signers entry that matched.
        public var principal: String
        public var key: SSHPublicKey

        public init(principal: String, key: SSHPublicKey) {
            self.principal = principal
            self.key = key
        }
    }

    /// Signs `message` for `namespace` with SHA-512, as `ssh-keygen -Y sign -n namespace` does.
    /// Returns the armored text, including the final newline. Ed25519 is deterministic, so the
    /// output is byte-for-byte what ssh-keygen writes for the same key, namespace and message.
    public static func sign(_ message: [UInt8], namespace: String, key: SSHPrivateKey) throws(SSHSigError) -> String {
        try checkNamespace(namespace)
        let hashAlgorithm = HashAlgorithm.sha512
        let signed = signedData(namespace: namespace, hashAlgorithm: hashAlgorithm, message: message)
        var signature = SSHWireWriter()
        signature.string(SSHPublicKey.keyType)
        signature.string(try key.sign(signed))

        var blob = SSHWireWriter()
        blob.raw(magic)
        blob.uint32(version)
        blob.string(key.publicKey.wireBlob)
        blob.string(namespace)
        blob.string([UInt8]())
        blob.string(hashAlgorithm.rawValue)
        blob.string(signature.bytes)
        return SSHArmor.encode(blob.bytes, label: label)
    }

    /// Reads an armored signature without judging it: no key is trusted and nothing is
    /// verified yet. Refuses other versions, key and signature types, hash algorithms, and any
    /// byte after the last field.
    public static func parse(armored: String) throws(SSHSigError) -> ParsedSignature {
        guard armored.utf8.count <= maxArmoredSize else {
            throw .inputTooLarge(what: "SSH signature", limit: maxArmoredSize)
        }
        let blob = try SSHArmor.decode(armored, label: label, malformed: SSHSigError.malformedSignature)
        var reader = SSHWireReader(blob, malformed: SSHSigError.malformedSignature)
        guard try reader.readRaw(magic.count, "magic") == magic else {
            throw .malformedSignature("does not start with \"SSHSIG\"")
        }
        let version = try reader.readUInt32("version")
        guard version == Self.version else { throw .unsupportedSignatureVersion(version) }
        let keyBlob = try reader.readString("public key")
        let publicKey: SSHPublicKey
        do throws(SSHSigError) {
            publicKey = try SSHPublicKey(wireBlob: keyBlob)
        } catch {
            if case .malformedKey(let reason) = error { throw .malformedSignature("public key: \(reason)") }
            throw error
        }
        let namespace = try reader.readText("namespace")
        // PROTOCOL.sshsig: "implementations should ignore the reserved field if it is not
        // empty". It is not signed (the signed data always carries an empty one, as OpenSSH
        // does), so its content can change nothing that is checked.
        _ = try reader.readString("reserved")
        let hashName = try reader.readText("hash algorithm")
        guard let hashAlgorithm = HashAlgorithm(rawValue: hashName) else { throw .unsupportedHashAlgorithm(hashName) }
        let signatureBlob = try reader.readString("signature")
        try reader.expectEnd("the signature")

        var inner = SSHWireReader(signatureBlob, malformed: SSHSigError.malformedSignature)
        let type = try inner.readText("signature type")
        guard type == SSHPublicKey.keyType else { throw .unsupportedSignatureType(type) }
        let signature = try inner.readString("Ed25519 signature")
        try inner.expectEnd("the Ed25519 signature")
        guard signature.count == Ed25519.signatureSize else {
            throw .malformedSignature("the Ed25519 signature is \(signature.count) bytes, expected \(Ed25519.signatureSize)")
        }
        return ParsedSignature(publicKey: publicKey, namespace: namespace, hashAlgorithm: hashAlgorithm, signature: signature)
    }

    /// Verifies an armored signature of `message`: it must be for `namespace`, by a key that
    /// `signers` allow for that namespace at `now`, and the signature must be valid.
    ///
    /// Trust is checked before the signature: a key nobody lists gets `signerNotAllowed`
    /// without any curve arithmetic on attacker-chosen input.
    public static func verify(
        armored: String, message: [UInt8], namespace: String, signers: AllowedSigners, now: Date = Date()
    ) throws(SSHSigError) -> Verified {
        let parsed = try parse(armored: armored)
        // Bytes, not String ==: Swift equates canonically equivalent Unicode, ssh-keygen does not.
        guard Array(parsed.namespace.utf8) == Array(namespace.utf8) else {
            throw .wrongNamespace(expected: namespace, found: parsed.namespace)
        }
        let entry = try signers.entry(for: parsed.publicKey, namespace: namespace, now: now)
        let signed = signedData(namespace: namespace, hashAlgorithm: parsed.hashAlgorithm, message: message)
        guard Ed25519.isValidSignature(parsed.signature, message: signed, publicKey: parsed.publicKey.raw) else {
            throw .badSignature
        }
        // The parser refuses entries without principals, so `first` always exists.
        return Verified(principal: entry.principals.first ?? "", key: parsed.publicKey)
    }

    /// What the key signs: the preamble, the namespace, an empty reserved field, the hash
    /// algorithm name and the message digest.
    static func signedData(namespace: String, hashAlgorithm: HashAlgorithm, message: [UInt8]) -> [UInt8] {
        var writer = SSHWireWriter()
        writer.raw(magic)
        writer.string(namespace)
        writer.string([UInt8]())
        writer.string(hashAlgorithm.rawValue)
        writer.string(hashAlgorithm.hash(message))
        return writer.bytes
    }

    /// ssh-keygen refuses an empty namespace; the NUL and length limits keep the name a plain
    /// string that reads the same in every implementation.
    private static func checkNamespace(_ namespace: String) throws(SSHSigError) {
        guard !namespace.isEmpty else { throw .invalidNamespace("empty") }
        guard namespace.utf8.count <= maxNamespaceLength else {
            throw .invalidNamespace("longer than \(maxNamespaceLength) bytes")
        }
        guard !namespace.utf8.contains(0) else { throw .invalidNamespace("contains a NUL byte") }
    }
}
