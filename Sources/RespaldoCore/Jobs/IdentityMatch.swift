import Age
import Foundation

/// Says, before a byte is read, when the identities given cannot open a snapshot: the manifest
/// names the fingerprints of the recipients it was encrypted to, and each X25519 identity's
/// recipient has one. The message names both sides, so an operator holding several keys can
/// tell which one the snapshot needs (`respaldo keygen` and `age-keygen -y` print a key's
/// recipient; its fingerprint is `SHA256:` + base64 of SHA-256 of that `age1…` text).
enum IdentityMatch {
    /// The fingerprints the snapshot was encrypted to (version 1 manifests list the recipients
    /// themselves); nil when it does not say (unencrypted, passphrase, or unknown).
    static func fingerprints(of manifest: Manifest) -> [String]? {
        if let fingerprints = manifest.artifact.recipientFingerprints, !fingerprints.isEmpty { return fingerprints }
        if let recipients = manifest.artifact.recipients, !recipients.isEmpty { return recipients.map(RecipientFingerprint.of) }
        return nil
    }

    /// Throws when `identities` (from `identityFile`) hold X25519 keys and none of them is a
    /// recipient of the snapshot.
    static func check(_ identities: [any Identity], for manifest: Manifest, identityFile: String?) throws {
        guard manifest.isEncrypted, let needed = fingerprints(of: manifest) else { return }
        let keys = identities.compactMap { $0 as? X25519Identity }
        guard !keys.isEmpty, keys.count == identities.count else { return }
        let held = keys.map { RecipientFingerprint.of($0.recipient.description) }
        guard Set(held).isDisjoint(with: needed) else { return }
        let source = identityFile.map { "the identity file \($0)" } ?? "the identities given"
        throw RespaldoError.failed(
            "snapshot \(manifest.id) is encrypted to \(needed.joined(separator: ", ")), and \(source) holds "
                + zip(keys, held).map { "\($1) (\($0.recipient.description))" }.joined(separator: ", ")
                + ": not a key it was encrypted to; find the identity whose recipient (age-keygen -y KEY) has that fingerprint")
    }
}
