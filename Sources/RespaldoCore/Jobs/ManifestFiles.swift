import Foundation

/// The names of a snapshot's files, derived from its id and never from what a file says.
enum ManifestFiles {
    static let manifestSuffix = ".manifest.json"

    static func manifestName(_ id: String, job: String) -> String { "\(job)/\(id)\(manifestSuffix)" }
    static func signatureName(_ id: String, job: String) -> String { manifestName(id, job: job) + ManifestSigner.signatureSuffix }

    /// The snapshot id a manifest's stored name stands for, when it is a well-formed id of `job`.
    static func id(ofManifestName name: String, job: String) -> String? {
        guard name.hasPrefix(job + "/"), name.hasSuffix(manifestSuffix) else { return nil }
        let id = String(name.dropFirst(job.count + 1).dropLast(manifestSuffix.count))
        guard let parsed = SnapshotID(id), parsed.job == job, parsed.description == id else { return nil }
        return id
    }
}
