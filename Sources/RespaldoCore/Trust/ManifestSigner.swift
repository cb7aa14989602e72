import Foundation
import SSHSig

/// SSHSIG namespaces: a signature made for one kind of file never verifies as the other.
public enum SignatureNamespace {
    /// Fixed by DESIGN.md: `ssh-keygen -Y verify … -n respaldo-manifest`.
    public static let manifest = "respaldo-manifest"
    public static let inventory = "respaldo-inventory"
}

/// The backup server's signing key (`[signing] key_file`), loaded once per run. It signs the
/// exact bytes of each manifest and inventory, and recognises its own signatures when it
/// decides what a location holds.
public struct ManifestSigner: Sendable {
    public static let signatureSuffix = ".sig"
    /// An armored SSHSIG of an Ed25519 key is about 300 bytes.
    static let maxSignatureBytes = 64 << 10

    let key: SSHPrivateKey
    /// Only this key, for checking what this server itself published.
    let ownSigners: AllowedSigners

    public init(key: SSHPrivateKey) throws {
        self.key = key
        ownSigners = try AllowedSigners(text: "respaldo \(key.publicKey.line)\n")
    }

    /// Reads `[signing] key_file`; a usage error (exit 2) names the file when it is unusable.
    public static func load(_ config: SigningConfig) throws -> ManifestSigner {
        try FileSecurity.checkPrivate(path: config.keyFile, what: "signing key")
        guard let data = FileManager.default.contents(atPath: config.keyFile), data.count < 64 << 10 else {
            throw RespaldoError.usage("signing key \(config.keyFile) cannot be read")
        }
        do {
            return try ManifestSigner(key: try SSHPrivateKey(pem: String(decoding: data, as: UTF8.self)))
        } catch {
            throw RespaldoError.usage("signing key \(config.keyFile): \(error)")
        }
    }

    public var publicKeyLine: String { key.publicKey.line }

    func sign(_ bytes: [UInt8], namespace: String) throws -> [UInt8] {
        do {
            return Array(try SSHSignature.sign(bytes, namespace: namespace, key: key).utf8)
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "signing", object: namespace, cause: error) { "signing failed: \($0)" })
        }
    }

    /// True when `signature` is this key's signature of `bytes`.
    func signedByUs(_ bytes: [UInt8], signature: [UInt8], namespace: String) -> Bool {
        (try? SSHSignature.verify(armored: String(decoding: signature, as: UTF8.self), message: bytes,
                                  namespace: namespace, signers: ownSigners)) != nil
    }
}

extension ManifestSigner {
    /// Writes a new signing key to `path` (0600, `O_EXCL|O_NOFOLLOW`: never overwritten) and
    /// returns its `ssh-ed25519 …` public line for `[trust] signers_file`.
    public static func generateKey() -> (pem: String, publicLine: String) {
        let key = SSHPrivateKey.generate(comment: "respaldo@\(hostName())")
        return (key.pem(), key.publicKey.line + " " + key.comment)
    }

    public static func writeNewKey(to path: String) throws -> String {
        let key = SSHPrivateKey.generate(comment: "respaldo@\(hostName())")
        try Keys.writeNewKeyFile(key.pem(), to: path)
        return key.publicKey.line + " " + key.comment
    }
}
