import CryptoPrimitives
import Foundation

/// What the backup server says one location holds of one job: every snapshot id with the
/// SHA-256 of its manifest's exact bytes, under a sequence that only grows and a time. Signed
/// (namespace `respaldo-inventory`) and written under a new name each time
/// (`<job>/inventory-<sequence>.json` and `.json.sig`), so that a verifier can tell a deleted
/// or hidden snapshot, and an old inventory put back, from the truth.
public struct Inventory: Codable, Sendable, Equatable {
    public static let formatName = "respaldo-inventory/1"
    static let maxBytes = 16 << 20
    static let prefix = "inventory-"
    /// Sequences are written as 12 digits: one past the largest is never reached honestly.
    static let maxSequence: Int64 = 999_999_999_999
    static let suffix = ".json"

    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var manifestSHA256: String

        enum CodingKeys: String, CodingKey {
            case id
            case manifestSHA256 = "manifest_sha256"
        }
    }

    public var format: String
    public var job: String
    /// The location's name on the backup server (informational: a verifier may call it otherwise).
    public var location: String
    public var sequence: Int64
    public var createdAt: String
    public var host: String
    public var snapshots: [Entry]

    enum CodingKeys: String, CodingKey {
        case format, job, location, sequence, host, snapshots
        case createdAt = "created_at"
    }

    func encoded() throws -> [UInt8] {
        try publishedJSON(self)
    }

    static func decode(_ bytes: [UInt8]) -> Inventory? {
        guard let inventory = try? JSONDecoder().decode(Inventory.self, from: Data(bytes)),
              inventory.format == formatName else { return nil }
        return inventory
    }

    /// `<job>/inventory-000000000042.json`: fixed width, so names sort as sequences do.
    static func fileName(job: String, sequence: Int64) -> String {
        let digits = String(sequence)
        return "\(job)/\(prefix)\(String(repeating: "0", count: max(0, 12 - digits.count)))\(digits)\(suffix)"
    }

    /// The sequence a stored name stands for, or nil when it is not an inventory's name.
    static func sequence(ofName name: String) -> Int64? {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        guard base.hasPrefix(prefix), base.hasSuffix(suffix) else { return nil }
        let digits = base.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.count == 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }
}

/// Hex SHA-256 of a file's exact bytes, as manifests and inventories record it.
func sha256Hex(_ bytes: [UInt8]) -> String {
    Hex.encode(SHA256.hash(bytes))
}
