import Foundation

/// The names of one snapshot's files in a store (DESIGN.md's storage layout), derived from its
/// id — and, for the artifact, the source's kind and whether it is encrypted — never from what
/// a file says: a damaged or hostile manifest naming another snapshot's files changes nothing.
///
/// ```
/// <job>/<id>.<sql|tar|dump>.gz[.age]     the artifact
/// <job>/<id>.manifest.json               the manifest: the snapshot exists once it does
/// <job>/<id>.manifest.json.sig           its SSHSIG signature, with [signing]
/// ```
public struct SnapshotFiles: Sendable, Equatable {
    public let id: String
    public let job: String
    /// `<job>/<id>.<ext>.gz[.age]`.
    public let artifact: String

    static let manifestSuffix = ".manifest.json"
    /// Every artifact suffix a snapshot's file may have (for orphan detection).
    static let artifactSuffixes = ["sql", "tar", "dump"].flatMap { [".\($0).gz", ".\($0).gz.age"] }

    public init(id: SnapshotID, sourceKind: String, encrypted: Bool) {
        self.init(id: id.description, job: id.job, sourceKind: sourceKind, encrypted: encrypted)
    }

    /// For a snapshot whose id Catalog already matched against its file name and job.
    init(id: String, job: String, sourceKind: String, encrypted: Bool) {
        self.id = id
        self.job = job
        artifact = "\(job)/\(Self.artifactName(id: id, sourceKind: sourceKind, encrypted: encrypted))"
    }

    public var manifest: String { Self.manifestName(id, job: job) }
    public var signature: String { Self.signatureName(id, job: job) }
    /// The artifact's name inside the job's folder (what the manifest records).
    public var artifactName: String { String(artifact.dropFirst(job.count + 1)) }

    /// `<id>.<ext>.gz[.age]`; the extension by source kind, "dump" for any other.
    static func artifactName(id: String, sourceKind: String, encrypted: Bool) -> String {
        let ext = switch sourceKind {
        case "postgres", "mysql": "sql"
        case "files": "tar"
        default: "dump"
        }
        return "\(id).\(ext).gz" + (encrypted ? ".age" : "")
    }

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
