import Foundation

/// The settings of an S3-compatible remote (DESIGN.md's `vault` example).
public struct S3RemoteConfig: Sendable, Equatable {
    public enum ObjectLock: String, Sendable, Equatable {
        case off, governance, compliance
    }

    /// `https://host[:port]` (or `http://` on a loopback address only).
    public var endpoint: String
    public var region: String
    /// AWS shared-credentials format, 0600.
    public var credentialsFile: String
    public var profile: String
    /// `bucket.host/key` instead of the default path style.
    public var virtualHosted: Bool
    /// PEM CA certificates trusted instead of the system's.
    public var caFile: String?
    public var objectLock: ObjectLock
    /// Days each object stays locked after its upload (extended by prune, never shortened).
    public var lockDays: Int

    public init(endpoint: String, region: String, credentialsFile: String, profile: String = "default", virtualHosted: Bool = false,
                caFile: String? = nil, objectLock: ObjectLock = .off, lockDays: Int = 0) {
        self.endpoint = endpoint
        self.region = region
        self.credentialsFile = credentialsFile
        self.profile = profile
        self.virtualHosted = virtualHosted
        self.caFile = caFile
        self.objectLock = objectLock
        self.lockDays = lockDays
    }
}

/// A transfer rate as the configuration writes it: `"20MB/s"`, `"512KiB/s"`, `"1.5MB/s"`, or a
/// number of bytes per second.
public enum ConfigRate {
    public static func parse(_ text: String) -> Int64? {
        var value = text.trimmingCharacters(in: .whitespaces)
        if value.hasSuffix("/s") { value.removeLast(2) }
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        var factor = 1.0
        for (suffix, multiplier) in units where value.hasSuffix(suffix) {
            value.removeLast(suffix.count)
            factor = multiplier
            break
        }
        guard let number = Double(value.trimmingCharacters(in: .whitespaces)), number.isFinite, number > 0 else { return nil }
        let bytes = number * factor
        guard bytes >= 1024, bytes < 1e15 else { return nil }
        return Int64(bytes)
    }
}

extension ConfigParser {
    func parseS3Remote(_ s: ConfigSection) throws -> RemoteConfig {
        try s.checkKeys([
            "name", "url", "endpoint", "region", "credentials_file", "profile", "addressing", "ca_file",
            "object_lock", "lock_days", "bandwidth_limit", "retries", "retry_delay", "append_only",
        ])
        let name = try s.requiredString("name")
        guard ConfigParser.isName(name, allowDots: true) else {
            throw s.error(.invalidValue, "name", "\"\(name)\" is not a valid remote name: use letters, digits, '.', '_' and '-'")
        }
        let url = try s.requiredString("url")
        let bucket = url.dropFirst("s3://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard !bucket.isEmpty, bucket.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }), bucket.count >= 3, bucket.count <= 63 else {
            throw s.error(.invalidValue, "url", "\"\(url)\" is not s3://bucket[/prefix] with a valid bucket name (3-63 lowercase letters, digits, '-' and '.')")
        }
        let endpoint = try s.requiredString("endpoint")
        if let problem = ConfigParser.s3EndpointProblem(endpoint) { throw s.error(.invalidValue, "endpoint", "\"\(endpoint)\" \(problem)") }
        let credentials = try s.requiredAbsolutePath("credentials_file")
        try s.checkFile("credentials_file", credentials, what: "S3 credentials file", private: true)
        let caFile = try s.absolutePath("ca_file")
        if let caFile { try s.checkFile("ca_file", caFile, what: "CA file", private: false) }
        let addressing = try s.string("addressing") ?? "path"
        guard ["path", "virtual"].contains(addressing) else {
            throw s.error(.invalidValue, "addressing", "\"\(addressing)\" is not \"path\" or \"virtual\"")
        }
        let lockText = try s.string("object_lock") ?? "off"
        guard let lock = S3RemoteConfig.ObjectLock(rawValue: lockText) else {
            throw s.error(.invalidValue, "object_lock", "\"\(lockText)\" is not \"off\", \"governance\" or \"compliance\"")
        }
        let lockDays = try s.int("lock_days", min: 1, max: 36500)
        if lock != .off && lockDays == nil { throw s.error(.missingKey, "lock_days", "required with object_lock = \"\(lockText)\"") }
        if lock == .off && lockDays != nil { throw s.error(.invalidValue, "lock_days", "has no effect without object_lock") }
        var remote = RemoteConfig(name: name, url: url, retries: try s.int("retries", min: 0) ?? 4, retryDelay: try s.number("retry_delay", min: 0) ?? 5)
        remote.appendOnly = try s.bool("append_only") ?? false
        remote.bandwidthLimit = try bandwidthLimit(s)
        remote.s3 = S3RemoteConfig(
            endpoint: endpoint, region: try s.string("region") ?? "us-east-1", credentialsFile: credentials,
            profile: try s.string("profile") ?? "default", virtualHosted: addressing == "virtual", caFile: caFile,
            objectLock: lock, lockDays: lockDays ?? 0)
        return remote
    }

    func bandwidthLimit(_ s: ConfigSection) throws -> Int64? {
        guard let text = try s.string("bandwidth_limit") else { return nil }
        guard let rate = ConfigRate.parse(text) else {
            throw s.error(.invalidValue, "bandwidth_limit", "\"\(text)\" is not a rate of at least 1 KiB/s, such as \"20MB/s\" or \"512KiB/s\"")
        }
        return rate
    }

    /// Why `endpoint` cannot carry credentials and data, or nil: HTTPS, or HTTP to a loopback host.
    static func s3EndpointProblem(_ endpoint: String) -> String? {
        guard let c = URLComponents(string: endpoint), let scheme = c.scheme?.lowercased(), let host = c.host, !host.isEmpty else {
            return "is not an http(s)://host[:port] URL"
        }
        if scheme == "https" { return nil }
        guard scheme == "http" else { return "must be https:// (or http:// on a loopback address)" }
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        return loopback ? nil : "uses plain http:// to a host that is not loopback: credentials and data would cross the network in clear text; use https://"
    }
}
