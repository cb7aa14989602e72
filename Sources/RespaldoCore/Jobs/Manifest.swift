import CryptoPrimitives
import Foundation

/// The snapshot's metadata, written last as its commit marker (`<job>/<id>.manifest.json`),
/// the same locally and on remotes. Plain JSON so that nothing but a text editor is needed to
/// read it; it never holds a secret.
///
/// Version 2 chains the snapshots of a job (`sequence`, `previous`) and records only
/// fingerprints of the age recipients: a published `age1…` would let anyone who can write to
/// a remote forge an artifact that decrypts. Version 1 stays readable (reported as unsigned).
public struct Manifest: Codable, Sendable, Equatable {
    public static let formatName = "respaldo-manifest/2"
    public static let legacyFormatName = "respaldo-manifest/1"
    /// A manifest is a few KiB (a few thousand tables' counts stay far below); more is hostile.
    public static let maxBytes = 1 << 20

    public struct Source: Codable, Sendable, Equatable {
        public var kind: String
        public var argv: [String]
    }

    public struct Plain: Codable, Sendable, Equatable {
        public var bytes: Int64
        public var sha256: String
    }

    public struct Artifact: Codable, Sendable, Equatable {
        public var name: String
        public var bytes: Int64
        public var sha256: String
        public var compression: String
        public var level: Int
        /// "none", "age" (X25519 recipients) or "age-scrypt" (passphrase).
        public var encryption: String
        /// Version 1 only: the recipients themselves.
        public var recipients: [String]?
        /// Version 2: `RecipientFingerprint` of each age recipient.
        public var recipientFingerprints: [String]?

        enum CodingKeys: String, CodingKey {
            case name, bytes, sha256, compression, level, encryption, recipients
            case recipientFingerprints = "recipient_fingerprints"
        }
    }

    /// The job's snapshot before this one, by id and the SHA-256 of its manifest's exact bytes.
    public struct Previous: Codable, Sendable, Equatable {
        public var id: String
        public var manifestSHA256: String

        enum CodingKeys: String, CodingKey {
            case id
            case manifestSHA256 = "manifest_sha256"
        }
    }

    public var format: String
    public var id: String
    public var job: String
    public var host: String
    public var source: Source
    public var startedAt: String
    public var finishedAt: String
    public var plain: Plain
    public var artifact: Artifact
    /// Per job, +1 each snapshot (version 2).
    public var sequence: Int64?
    public var previous: Previous?
    public var respaldoVersion: String
    /// Every user table and its exact row count, read from the same database snapshot the
    /// dump read (see RowCountCapture); the drill compares the restored database with it.
    /// Optional and additive: absent in older manifests and when counting was not possible.
    public var tables: [TableRowCount]?

    enum CodingKeys: String, CodingKey {
        case format, id, job, host, source, plain, artifact, tables, sequence, previous
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case respaldoVersion = "respaldo_version"
    }

    public var isEncrypted: Bool { artifact.encryption != "none" }
    public var isLegacy: Bool { format == Self.legacyFormatName }

    static func fileName(for id: String) -> String { "\(id).manifest.json" }

    func encoded() throws -> [UInt8] {
        try publishedJSON(self)
    }

    static func decode(_ bytes: [UInt8], name: String) throws -> Manifest {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw RespaldoError.operationFailed(.init(operation: "decode", object: "manifest \(name)", cause: error) { "manifest \(name) is not valid: \($0)" })
        }
        guard manifest.format == formatName || manifest.format == legacyFormatName else {
            throw RespaldoError.failed("manifest \(name) has format \"\(manifest.format)\", expected \(formatName)")
        }
        // Listings keep manifests (without their counts): no field may make one large.
        let short = [manifest.id, manifest.job, manifest.host, manifest.startedAt, manifest.finishedAt, manifest.respaldoVersion,
                     manifest.artifact.name, manifest.artifact.sha256, manifest.plain.sha256, manifest.artifact.encryption]
        // Sizes and the sequence are used in arithmetic (free space, the next sequence): a
        // value no backup can have is damage, refused here once for every reader.
        guard manifest.artifact.bytes >= 0, manifest.plain.bytes >= 0, (manifest.sequence ?? 0) >= 0,
              (manifest.sequence ?? 0) < Int64(1) << 53
        else {
            throw RespaldoError.failed("manifest \(name) states a negative size or an impossible sequence")
        }
        guard short.allSatisfy({ $0.utf8.count <= 512 }),
              manifest.source.argv.reduce(0, { $0 + $1.utf8.count }) <= 64 << 10,
              (manifest.artifact.recipientFingerprints?.count ?? 0) + (manifest.artifact.recipients?.count ?? 0) <= 1000
        else {
            throw RespaldoError.failed("manifest \(name) has fields longer than any manifest respaldo writes")
        }
        return manifest
    }
}

/// The bytes respaldo publishes (and signs) for a JSON file: sorted keys, pretty-printed, one
/// trailing newline, so the same value always gives the same bytes.
func publishedJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value)) + [10]
}

/// What a manifest records of an age recipient: `SHA256:` and the unpadded base64 of the
/// SHA-256 of its `age1…` string, in the style of `ssh-keygen -l`. Enough to tell which key a
/// snapshot needs and to catch a substituted recipient; useless for encrypting to it.
public enum RecipientFingerprint {
    public static func of(_ recipient: String) -> String {
        let digest = SHA256.hash(Array(recipient.lowercased().utf8))
        return "SHA256:" + Data(digest).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}

public let respaldoVersion = "0.2.0"
