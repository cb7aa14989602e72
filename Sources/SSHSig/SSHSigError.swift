/// Everything that can go wrong reading OpenSSH keys, signatures and allowed_signers files.
///
/// The cases a verifier must tell apart are separate on purpose: a malformed signature (bytes
/// broken in transit or crafted), a signature for another purpose (`wrongNamespace`), a signer
/// nobody trusts (`signerNotAllowed`) and a forgery or modified message (`badSignature`) each
/// call for a different reaction from an operator. Messages never contain private key bytes.
public enum SSHSigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An OpenSSH private or public key that cannot be read; the reason says where it broke.
    case malformedKey(String)
    /// A private key file encrypted with a passphrase (`cipher` is e.g. "aes256-ctr").
    case encryptedPrivateKey(cipher: String)
    /// An armored SSHSIG signature that cannot be read.
    case malformedSignature(String)
    /// An SSHSIG version other than 1.
    case unsupportedSignatureVersion(UInt32)
    /// A key type other than ssh-ed25519 ("ssh-rsa", "ecdsa-sha2-nistp256", …).
    case unsupportedKeyType(String)
    /// A signature algorithm other than ssh-ed25519 inside an SSHSIG blob.
    case unsupportedSignatureType(String)
    /// An SSHSIG message hash other than sha256 or sha512.
    case unsupportedHashAlgorithm(String)
    /// A line of an allowed_signers file that cannot be read (lines count from 1).
    case malformedAllowedSigners(line: Int, reason: String)
    /// Input above a fixed size cap; hostile input must not make the process allocate freely.
    case inputTooLarge(what: String, limit: Int)
    /// A file that could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// A namespace this code refuses to sign for (empty, too long, or containing NUL).
    case invalidNamespace(String)
    /// The signature was made for another namespace (another purpose) than the caller expects.
    case wrongNamespace(expected: String, found: String)
    /// The signing key is not trusted for this namespace and time by the allowed signers.
    case signerNotAllowed(fingerprint: String, reason: String)
    /// The signature does not verify: the message was modified or the signature forged.
    case badSignature
    /// A cryptographic primitive failed while signing (an OpenSSL failure, not bad input).
    case signingFailed(String)

    public var description: String {
        switch self {
        case .malformedKey(let reason):
            return "malformed OpenSSH key: \(reason)"
        case .encryptedPrivateKey(let cipher):
            return "the private key file is passphrase-protected (cipher \(cipher)); respaldo needs an unencrypted "
                + "key file protected by file mode 0600 instead (remove the passphrase with `ssh-keygen -p -N '' -f FILE`)"
        case .malformedSignature(let reason):
            return "malformed SSH signature: \(reason)"
        case .unsupportedSignatureVersion(let version):
            return "unsupported SSH signature version \(version) (only version 1 exists)"
        case .unsupportedKeyType(let type):
            return "unsupported key type \"\(type)\": respaldo supports ssh-ed25519 keys only"
        case .unsupportedSignatureType(let type):
            return "unsupported signature type \"\(type)\": respaldo supports ssh-ed25519 signatures only"
        case .unsupportedHashAlgorithm(let name):
            return "unsupported SSH signature hash algorithm \"\(name)\" (sha256 and sha512 are accepted)"
        case .malformedAllowedSigners(let line, let reason):
            return "allowed signers line \(line): \(reason)"
        case .inputTooLarge(let what, let limit):
            return "\(what) is larger than the \(limit)-byte limit"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidNamespace(let reason):
            return "invalid signature namespace: \(reason)"
        case .wrongNamespace(let expected, let found):
            return "signature is for namespace \"\(found)\", expected \"\(expected)\""
        case .signerNotAllowed(let fingerprint, let reason):
            return "signing key \(fingerprint) is not an allowed signer: \(reason)"
        case .badSignature:
            return "bad signature: the message was modified or the signature is forged"
        case .signingFailed(let reason):
            return "signing failed: \(reason)"
        }
    }
}
