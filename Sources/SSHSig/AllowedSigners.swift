import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// OpenSSH's allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS): which keys may sign, for
/// which principals, namespaces and time range. One entry a line:
///
///     principals [options] keytype base64-key [comment]
///
/// with `#` comment lines and blank lines. Options are `namespaces="pattern,…"`,
/// `valid-after="timestamp"`, `valid-before="timestamp"` and `cert-authority`.
///
/// Reading is strict about syntax and lenient about scope: a line that cannot be parsed fails
/// the whole file with its line number (a typo must not silently drop or widen trust), while
/// a well-formed entry this code cannot use — another key type, or a certificate authority —
/// is recorded in `skipped` with the reason and takes no part in matching.
public struct AllowedSigners: Sendable {
    /// Largest file accepted; real files hold a handful of lines.
    public static let maxFileSize = 1 << 20

    /// A usable ssh-ed25519 entry.
    public struct Entry: Equatable, Sendable {
        /// The line it came from, counting from 1.
        public let line: Int
        /// The principals, in file order; verification reports the first.
        public let principals: [String]
        public let key: SSHPublicKey
        /// The `namespaces="…"` patterns, or nil when the entry is valid for every namespace.
        public let namespaces: [String]?
        public let validAfter: Date?
        public let validBefore: Date?

        /// Whether `namespaces="…"` (if present) admits `namespace`, with OpenSSH's `*`, `?`
        /// and `!` pattern rules.
        public func allows(namespace: String) -> Bool {
            namespaces.map { SSHPattern.matchesList(namespace, patterns: $0) } ?? true
        }

        /// Whether `now` is within `valid-after` … `valid-before`, both inclusive as in OpenSSH.
        public func isValid(at now: Date) -> Bool {
            if let validAfter, now < validAfter { return false }
            if let validBefore, now > validBefore { return false }
            return true
        }
    }

    /// An entry that is well-formed but not usable here.
    public struct Skipped: Equatable, Sendable {
        public let line: Int
        public var reason: String

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var skipped: [Skipped] = []

    /// Parses the text of an allowed_signers file. Timestamps without a `Z` suffix are read
    /// in `timeZone`, as OpenSSH reads them in the system's local time.
    public init(text: String, timeZone: TimeZone = .current) throws(SSHSigError) {
        guard text.utf8.count <= Self.maxFileSize else {
            throw .inputTooLarge(what: "allowed signers file", limit: Self.maxFileSize)
        }
        let lines = Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let line = raw.last == UInt8(ascii: "\r") ? Array(raw.dropLast()) : Array(raw)
            switch try AllowedSignersLine.parse(line, number: index + 1, timeZone: timeZone) {
            case .blank: continue
            case .entry(let entry): entries.append(entry)
            case .skipped(let reason): skipped.append(Skipped(line: index + 1, reason: reason))
            }
        }
    }

    /// Reads and parses the file at `path`, refusing files over `maxFileSize`.
    public static func load(path: String, timeZone: TimeZone = .current) throws(SSHSigError) -> AllowedSigners {
        let bytes = try readBounded(path: path, limit: maxFileSize)
        return try AllowedSigners(text: String(decoding: bytes, as: UTF8.self), timeZone: timeZone)
    }

    /// The first entry that trusts `key` for `namespace` at `now`.
    ///
    /// When none does, the error says why, per line that lists the key (restricted to other
    /// namespaces, expired, not yet valid), or that the key is not listed at all: "not allowed"
    /// alone would leave an operator guessing which of the three to fix.
    public func entry(for key: SSHPublicKey, namespace: String, now: Date = Date()) throws(SSHSigError) -> Entry {
        var reasons: [String] = []
        for entry in entries where entry.key == key {
            if !entry.allows(namespace: namespace) {
                let list = (entry.namespaces ?? []).joined(separator: ",")
                reasons.append("line \(entry.line) allows namespaces \"\(list)\", not \"\(namespace)\"")
            } else if let after = entry.validAfter, now < after {
                reasons.append("line \(entry.line) is not valid before \(Self.format(after))")
            } else if let before = entry.validBefore, now > before {
                reasons.append("line \(entry.line) expired at \(Self.format(before))")
            } else {
                return entry
            }
        }
        let reason = reasons.isEmpty ? "the key is not listed in the allowed signers" : reasons.joined(separator: "; ")
        throw .signerNotAllowed(fingerprint: key.fingerprint, reason: reason)
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Reads at most `limit` bytes with POSIX calls, so an oversized (or endless, like a FIFO)
    /// file is refused after `limit + 1` bytes instead of being read whole.
    private static func readBounded(path: String, limit: Int) throws(SSHSigError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
        throw .inputTooLarge(what: "allowed signers file \(path)", limit: limit)
    }
}
