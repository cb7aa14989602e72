import Foundation
import SSHSig
import Storage

/// What a verifying host accepts (`[trust]`), and what it remembers between runs: the highest
/// inventory sequence it has seen per location and job, so that an old inventory put back is
/// noticed even though its signature is good.
public struct TrustPolicy: Sendable {
    public let signers: AllowedSigners
    public let maxAge: TimeInterval
    /// `[encryption]` is configured: an unencrypted artifact is a downgrade.
    public let encryptionRequired: Bool
    /// Fingerprints of the configured age recipients; a manifest must share one (empty: not checked).
    public let recipientFingerprints: Set<String>
    let stateDir: String
    /// Clock skew tolerated before a time counts as "in the future".
    static let skew: TimeInterval = 300

    public init(signers: AllowedSigners, maxAge: TimeInterval, encryption: EncryptionConfig?, stateDir: String) {
        self.signers = signers
        self.maxAge = maxAge
        self.stateDir = stateDir
        switch encryption {
        case nil:
            encryptionRequired = false
            recipientFingerprints = []
        case let .recipients(list):
            encryptionRequired = true
            recipientFingerprints = Set(list.map { RecipientFingerprint.of($0.description) })
        case .passphraseFile:
            encryptionRequired = true
            recipientFingerprints = []
        }
    }

    /// The policy of `config`, or nil when it has no `[trust]`.
    public static func load(_ config: Config) throws -> TrustPolicy? {
        guard let trust = config.trust else { return nil }
        let signers: AllowedSigners
        do {
            signers = try AllowedSigners.load(path: trust.signersFile)
        } catch {
            throw RespaldoError.usage("[trust] signers_file \(trust.signersFile): \(error)")
        }
        // A file whose every line was skipped would make every snapshot fail as unsigned: say why now.
        guard !signers.entries.isEmpty else {
            let skipped = signers.skipped.map { "line \($0.line): \($0.reason)" }.joined(separator: "; ")
            throw RespaldoError.usage("[trust] signers_file \(trust.signersFile) has no usable ssh-ed25519 key\(skipped.isEmpty ? "" : " (\(skipped))")")
        }
        return TrustPolicy(signers: signers, maxAge: trust.maxAge.seconds, encryption: config.encryption, stateDir: config.stateDir)
    }

    // MARK: - Rollback memory: <state_dir>/trust/seen/<location>/<job>

    private func seenPath(location: String, job: String) -> String { StateDirectory(root: stateDir).seenInventory(location: location, job: job) }

    func highestSeenInventory(location: String, job: String) -> Int64 {
        guard let data = FileManager.default.contents(atPath: seenPath(location: location, job: job)), data.count < 64 else { return 0 }
        return Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Best effort: a verifier that cannot write its state still checks everything else.
    func rememberInventory(_ sequence: Int64, location: String, job: String) {
        guard sequence > highestSeenInventory(location: location, job: job) else { return }
        let path = seenPath(location: location, job: job)
        guard (try? makePrivateDirectory((path as NSString).deletingLastPathComponent)) != nil else { return }
        try? writeFileAtomically(Array("\(sequence)\n".utf8), to: path, temporary: path + ".partial", mode: 0o600)
    }
}
