#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An access key, as an AWS shared-credentials file holds it. The secret never appears in
/// `description` (nor in any error).
public struct S3Credentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// A temporary session's token (`aws_session_token`), sent as `x-amz-security-token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "access key \(accessKeyID)" }

    /// Largest credentials file read (bounded memory; real ones are a few hundred bytes).
    static let maxFileBytes = 1 << 20

    /// Reads `profile` from an AWS shared-credentials file. The caller checks the file's
    /// permissions (0600) first; this only reads it.
    public static func load(file path: String, profile: String = "default") throws(S3CredentialsError) -> S3Credentials {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= maxFileBytes else { throw .unreadable(path: path, reason: "larger than \(maxFileBytes) bytes") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, profile: profile)
    }

    /// Parses the INI format of `~/.aws/credentials`: `[profile]` sections (`[profile name]`,
    /// the config file's spelling, is accepted too), `key = value` lines, `#` and `;` comments.
    /// Keys: `aws_access_key_id`, `aws_secret_access_key` (both required), `aws_session_token`
    /// (optional); others are ignored, as the AWS tools do.
    public static func parse(_ text: String, profile: String) throws(S3CredentialsError) -> S3Credentials {
        var section: String?
        var found = false
        var values: [String: String] = [:]
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw .malformedLine(index + 1) }
                var name = String(line.dropFirst().dropLast()).trimmingWhitespace()
                if name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingWhitespace() }
                section = name
                if name == profile { found = true }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw .malformedLine(index + 1) }
            guard section == profile else { continue }
            let key = String(line[..<equals]).trimmingWhitespace().lowercased()
            let value = String(line[line.index(after: equals)...]).trimmingWhitespace()
            values[key] = value
        }
        guard found else { throw .missingProfile(profile) }
        guard let id = values["aws_access_key_id"], !id.isEmpty else { throw .missingKey(profile: profile, key: "aws_access_key_id") }
        guard let secret = values["aws_secret_access_key"], !secret.isEmpty else {
            throw .missingKey(profile: profile, key: "aws_secret_access_key")
        }
        // Header values: no line breaks or control characters may reach the request.
        for (key, value) in [("aws_access_key_id", id), ("aws_secret_access_key", secret), ("aws_session_token", values["aws_session_token"] ?? "")]
        where value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw .invalidValue(profile: profile, key: key)
        }
        let token = values["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }
}

/// Why a credentials file could not be used. Never contains a secret.
public enum S3CredentialsError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedLine(Int)
    case missingProfile(String)
    case missingKey(profile: String, key: String)
    case invalidValue(profile: String, key: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read credentials file \(path): \(reason)"
        case let .malformedLine(line): "credentials file line \(line): expected [profile] or key = value"
        case let .missingProfile(profile): "credentials file has no [\(profile)] profile"
        case let .missingKey(profile, key): "credentials file profile [\(profile)] has no \(key)"
        case let .invalidValue(profile, key): "credentials file profile [\(profile)]: \(key) contains control characters"
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
