import Age
import Foundation
import Storage

/// Turns the configuration's encryption settings and operators' key files into age objects.
public enum Keys {
    public struct Encryption {
        var recipients: [any Recipient]
        /// What the manifest records: "age" or "age-scrypt".
        var scheme: String
        /// Public recipients for the manifest (never a passphrase).
        var recipientNames: [String]
    }

    public static func encryption(_ config: EncryptionConfig?) throws -> Encryption? {
        switch config {
        case nil:
            return nil
        case let .recipients(recipients):
            return Encryption(recipients: recipients, scheme: "age", recipientNames: recipients.map(\.description))
        case let .passphraseFile(path):
            let passphrase = try readPassphrase(path)
            return Encryption(recipients: [ScryptRecipient(passphrase: passphrase)], scheme: "age-scrypt", recipientNames: [])
        }
    }

    /// Identities to decrypt with: those in `identityFile` (age-keygen's format), plus the
    /// configured passphrase when snapshots are passphrase-encrypted.
    public static func identities(identityFile: String?, config: Config?) throws -> [any Identity] {
        var identities: [any Identity] = []
        if let identityFile {
            // The kind of file first: an SSH public key handed over is readable by design, and
            // "it is not an age identity" is the message that helps.
            if let text = try? String(contentsOfFile: identityFile, encoding: .utf8), let kind = sshKeyKind(text) {
                throw RespaldoError.usage(
                    "identity file \(identityFile) is \(kind), not an age identity: snapshots are encrypted to age X25519 recipients, "
                        + "and only the matching age identity (AGE-SECRET-KEY-1…, from respaldo keygen or age-keygen) opens them; "
                        + "an SSH key belongs in [[remotes]] identity_file")
            }
            try FileSecurity.checkPrivate(path: identityFile, what: "identity file")
            guard let text = try? String(contentsOfFile: identityFile, encoding: .utf8) else {
                throw RespaldoError.usage("identity file \(identityFile) cannot be read")
            }
            do {
                identities += try IdentityFile.parse(text)
            } catch {
                throw RespaldoError.usage("identity file \(identityFile): \(error)")
            }
        }
        if case let .passphraseFile(path)? = config?.encryption {
            identities.append(ScryptIdentity(passphrase: try readPassphrase(path)))
        }
        return identities
    }

    /// What kind of SSH key `text` is, when it is one: the most common wrong file to hand
    /// over as an identity (age itself reads SSH keys, but respaldo never encrypts to them).
    static func sshKeyKind(_ text: String) -> String? {
        let start = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if start.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----") { return "an OpenSSH private key" }
        if start.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") || start.hasPrefix("-----BEGIN EC PRIVATE KEY-----")
            || start.hasPrefix("-----BEGIN PRIVATE KEY-----") { return "a PEM private key (an SSH or TLS key)" }
        for type in ["ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-", "sk-ssh-ed25519@openssh.com "] where start.hasPrefix(type) {
            return "an SSH public key"
        }
        return nil
    }

    private static func readPassphrase(_ path: String) throws -> [UInt8] {
        try FileSecurity.checkPrivate(path: path, what: "passphrase file")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RespaldoError.usage("passphrase file \(path) cannot be read")
        }
        var bytes = [UInt8](data)
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        guard !bytes.isEmpty else { throw RespaldoError.usage("passphrase file \(path) is empty") }
        return bytes
    }
}

extension Keys {
    /// A new X25519 identity in age-keygen's file format, and its public recipient.
    public static func generateIdentity() -> (fileContents: String, recipient: String) {
        let identity = X25519Identity.generate()
        return (identity.keyFileContents(created: Date()), identity.recipient.description)
    }

    /// Writes a new identity to `path` (created 0600; an existing file is never overwritten)
    /// and returns its recipient.
    public static func writeNewIdentity(to path: String) throws -> String {
        let (contents, recipient) = generateIdentity()
        try writeNewKeyFile(contents, to: path)
        return recipient
    }

    /// `keygen`'s output file: created 0600 and synced, never over an existing file (a usage
    /// error that says so), removed again when the write fails.
    static func writeNewKeyFile(_ contents: String, to path: String) throws {
        do {
            try createPrivateFile(Array(contents.utf8), at: path, sync: true)
        } catch {
            if error.operation == "create" && error.errno == EEXIST {
                throw RespaldoError.usage("keygen: \(path) already exists; it is not overwritten")
            }
            throw RespaldoError.failed("keygen: cannot \(error.operation == "create" ? "create" : "write") \(path): \(String(cString: strerror(error.errno)))")
        }
    }
}
