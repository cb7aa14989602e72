import Age
import Foundation

/// `[encryption]`: age recipients (listed, or in a recipients file) or a passphrase file.
extension ConfigParser {
    func parseEncryption(_ s: ConfigSection) throws -> EncryptionConfig {
        try s.checkKeys(["recipients", "recipients_file", "passphrase_file"])
        let listed = try s.stringArray("recipients")
        let recipientsFile = try s.absolutePath("recipients_file")
        let passphraseFile = try s.absolutePath("passphrase_file")

        if let passphraseFile {
            if listed != nil || recipientsFile != nil {
                throw s.error(
                    .invalidValue, "passphrase_file",
                    "cannot be combined with recipients or recipients_file: encrypt either to age recipients (public keys) or with a passphrase")
            }
            try s.checkFile("passphrase_file", passphraseFile, what: "passphrase file", private: true)
            return .passphraseFile(passphraseFile)
        }
        guard listed != nil || recipientsFile != nil else {
            throw s.error(
                .missingKey, nil,
                "needs recipients, recipients_file or passphrase_file (omit [encryption] for unencrypted backups)")
        }

        var recipients: [X25519Recipient] = []
        for (i, candidate) in (listed ?? []).enumerated() {
            let recipient: X25519Recipient
            do {
                recipient = try X25519Recipient(candidate.trimmingCharacters(in: .whitespaces))
            } catch {
                throw s.error(
                    .invalidValue, at: TOMLPath([.key("recipients"), .index(i)]),
                    "\"\(candidate)\" is not a valid age X25519 recipient (age1…): \(error)")
            }
            if !recipients.contains(recipient) { recipients.append(recipient) }
        }
        if let recipientsFile {
            for recipient in try readRecipientsFile(s, recipientsFile) where !recipients.contains(recipient) {
                recipients.append(recipient)
            }
        }
        if recipients.isEmpty && (checkFiles || recipientsFile == nil) {
            throw s.error(
                .invalidValue, recipientsFile == nil ? "recipients" : "recipients_file",
                "no recipients: at least one age recipient (age1…) is needed")
        }
        return .recipients(recipients)
    }

    /// Checks, reads and parses a recipients file (age's format: one `age1…` per line, `#` comments).
    private func readRecipientsFile(_ s: ConfigSection, _ path: String) throws -> [X25519Recipient] {
        guard checkFiles else { return [] }
        try s.checkFile("recipients_file", path, what: "recipients file", private: false)
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw s.error(
                .fileProblem, "recipients_file", "\(path): cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
        do {
            return try RecipientsFile.parse(contents)
        } catch {
            throw s.error(.invalidValue, "recipients_file", "\(path): \(error)")
        }
    }
}
