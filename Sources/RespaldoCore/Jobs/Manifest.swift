import Foundation

/// The snapshot's metadata, written last as its commit marker (`<job>/<id>.manifest.json`),
/// the same locally and on remotes. Plain JSON so that nothing but a text editor is needed to
/// read it; it never holds a secret.
public struct Manifest: Codable, Sendable, Equatable {
    public static let formatName = "respaldo-manifest/1"

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
        public var recipients: [String]
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
    public var respaldoVersion: String
    /// Every user table and its exact row count, read from the same database snapshot the
    /// dump read (see RowCountCapture); the drill compares the restored database with it.
    /// Optional and additive: absent in older manifests and when counting was not possible.
    public var tables: [TableRowCount]?

    enum CodingKeys: String, CodingKey {
        case format, id, job, host, source, plain, artifact, tables
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case respaldoVersion = "respaldo_version"
    }

    public var isEncrypted: Bool { artifact.encryption != "none" }

    static func fileName(for id: String) -> String { "\(id).manifest.json" }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [10]
    }

    static func decode(_ bytes: [UInt8], name: String) throws -> Manifest {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw RespaldoError.failed("manifest \(name) is not valid: \(error)")
        }
        guard manifest.format == formatName else {
            throw RespaldoError.failed("manifest \(name) has format \"\(manifest.format)\", expected \(formatName)")
        }
        return manifest
    }
}

public let respaldoVersion = "0.1.0"
