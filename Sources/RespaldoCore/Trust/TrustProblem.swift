/// Why a verifying host refuses what a location holds. Every message says "signature" or
/// "tamper" and names the snapshot or the job, so an operator can grep for it and knows
/// which copy not to trust.
public struct TrustProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Missing, malformed or wrong signature, or an unsigned (version 1) manifest.
        case signature
        /// Well signed, but not what the backup server published there: a name that disagrees,
        /// a broken chain, a missing or hidden snapshot, a rolled-back or stale inventory, a
        /// downgrade, a time in the future.
        case tamper
        /// Without `[trust]`: a manifest that cannot be read or disagrees with its name.
        case damaged
    }

    public var kind: Kind
    public var location: String
    public var job: String
    /// The snapshot concerned, or nil for the job's whole listing (its inventory).
    public var snapshot: String?
    public var detail: String

    public var description: String {
        let subject = snapshot.map { "snapshot \($0)" } ?? "job \(job)"
        switch kind {
        case .signature: return "signature check failed for \(subject) at \(location): \(detail)"
        case .tamper: return "tamper detected for \(subject) at \(location): \(detail)"
        case .damaged: return "damaged manifest of job \(job) at \(location): \(detail)"
        }
    }
}
