import Age

/// Opens an encrypted artifact's age header while it is fetched, so that a wrong or missing
/// key fails the drill before any scratch target exists. Its verdict counts only once the
/// artifact's SHA-256 matched: on damaged bytes, the checksum names the real cause.
final class IdentityProbe {
    /// The header and the first payload chunk fit well within this.
    private static let probeBytes = 256 * 1024
    private let decryptor: AgeDecryptor
    private var fed = 0
    private(set) var failure: (any Error)?

    init(identities: [any Identity]) {
        decryptor = AgeDecryptor(identities: identities)
    }

    func feed(_ chunk: [UInt8]) {
        guard fed < Self.probeBytes, failure == nil else { return }
        var discarded: [UInt8] = []
        do {
            try chunk.withUnsafeBytes { try decryptor.update($0, into: &discarded) }
        } catch {
            failure = error
        }
        fed += chunk.count
    }
}
