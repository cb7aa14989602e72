extension S3Store {
    /// Everything an S3 remote needs, as the configuration gives it.
    public struct Options: Sendable {
        /// The remote's name, used in messages.
        public var name: String
        /// `s3://bucket/prefix`: the bucket, and an optional key prefix under which every
        /// stored name goes (`prefix/job/id.sql.gz`).
        public var url: String
        /// `https://host[:port]`, or `http://` for a loopback host only (127.0.0.0/8, ::1,
        /// localhost): credentials and data never cross a network in clear text.
        public var endpoint: String
        public var region: String
        public var credentials: S3Credentials
        /// `bucket.host/key` instead of the default path style `host/bucket/key`.
        public var virtualHostedStyle: Bool
        /// A PEM file of CA certificates to trust instead of the system's (a private CA).
        /// There is no way to skip certificate verification.
        public var caFile: String?
        /// Upload rate cap in bytes per second (libcurl's CURLOPT_MAX_SEND_SPEED_LARGE).
        public var bandwidthLimit: Int64?
        /// Lock every object written (Object Lock): mode and days from the write.
        public var objectLock: ObjectLockPolicy?
        /// Multipart part size in bytes (5 MiB to 64 MiB; one part is held in memory). An object
        /// that would need more than 10,000 parts gets larger parts, in whole MiB, up to 48 MiB
        /// (so objects up to 468 GiB; a streamed put of unknown size keeps this size, so up to
        /// 156 GiB at the default 16 MiB).
        public var partSize: Int
        /// Seconds allowed for the TCP connect and the TLS handshake.
        public var connectTimeout: Int
        /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds fails.
        public var lowSpeedLimit: Int
        public var lowSpeedTime: Int

        public init(
            name: String, url: String, endpoint: String, region: String, credentials: S3Credentials,
            virtualHostedStyle: Bool = false, caFile: String? = nil, bandwidthLimit: Int64? = nil,
            objectLock: ObjectLockPolicy? = nil, partSize: Int = 16 << 20, connectTimeout: Int = 30,
            lowSpeedLimit: Int = 1024, lowSpeedTime: Int = 60
        ) {
            self.name = name
            self.url = url
            self.endpoint = endpoint
            self.region = region
            self.credentials = credentials
            self.virtualHostedStyle = virtualHostedStyle
            self.caFile = caFile
            self.bandwidthLimit = bandwidthLimit
            self.objectLock = objectLock
            self.partSize = partSize
            self.connectTimeout = connectTimeout
            self.lowSpeedLimit = lowSpeedLimit
            self.lowSpeedTime = lowSpeedTime
        }
    }

    /// S3's limits on multipart uploads.
    public static let minPartSize = 5 << 20
    public static let maxPartSize = 64 << 20
    public static let maxParts = 10_000
}

/// Where requests go: the parsed, checked endpoint and bucket.
struct S3Target: Sendable, Equatable {
    var scheme: String
    /// The host as it goes in a URL (`[::1]` for IPv6).
    var host: String
    var port: Int
    var bucket: String
    /// "" or the key prefix ending in `/`.
    var prefix: String
    var virtualHosted: Bool

    /// The `Host` header field (and URL authority): the port only when not the scheme's.
    var authority: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let name = virtualHosted ? bucket + "." + host : host
        return port == defaultPort ? name : "\(name):\(port)"
    }

    /// The encoded path of `key` (nil: the bucket itself).
    func path(key: String?) -> String {
        var segments: [String] = virtualHosted ? [] : [bucket]
        if let key { segments += key.split(separator: "/", omittingEmptySubsequences: false).map(String.init) }
        return segments.isEmpty ? "/" : S3URIEncoding.path(segments)
    }

    func url(path: String, query: String) -> String {
        "\(scheme)://\(authority)\(path)\(query.isEmpty ? "" : "?" + query)"
    }

    /// The full key of a stored name.
    func key(_ name: String) -> String { prefix + name }

    init(options: S3Store.Options) throws(S3OptionsError) {
        // Endpoint: scheme://host[:port][/]
        var rest = Substring(options.endpoint)
        if rest.hasPrefix("https://") {
            scheme = "https"
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("http://") {
            scheme = "http"
            rest = rest.dropFirst(7)
        } else {
            throw .endpoint(options.endpoint, "must start with https:// (or http:// for a loopback host)")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?"), !rest.contains("#") else {
            throw .endpoint(options.endpoint, "expected scheme://host[:port], without user, path or query")
        }
        var hostPart = rest
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .endpoint(options.endpoint, "unterminated IPv6 address") }
            hostPart = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .endpoint(options.endpoint, "expected :port after the address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard !hostPart.isEmpty, hostPart.allSatisfy(allowed.contains) else { throw .endpoint(options.endpoint, "bad host name") }
        host = String(hostPart).lowercased()
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw .endpoint(options.endpoint, "bad port") }
            port = value
        } else {
            port = scheme == "https" ? 443 : 80
        }
        if scheme == "http" && !Self.isLoopback(host) {
            throw .endpoint(options.endpoint, "plain http:// is allowed for a loopback host only (127.0.0.0/8, ::1, localhost); use https://")
        }

        // URL: s3://bucket[/prefix]
        guard options.url.hasPrefix("s3://") else { throw .url(options.url, "must start with s3://") }
        let path = options.url.dropFirst(5)
        let bucketPart = path.prefix { $0 != "/" }
        bucket = String(bucketPart)
        let bucketChars = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard (3...63).contains(bucket.count), bucket.allSatisfy(bucketChars.contains),
              bucket.first != "." && bucket.first != "-", bucket.last != "." && bucket.last != "-"
        else {
            throw .url(options.url, "bad bucket name \"\(bucket)\" (3 to 63 lowercase letters, digits, dots and hyphens)")
        }
        let prefixPath = path.dropFirst(bucketPart.count).split(separator: "/").joined(separator: "/")
        if prefixPath.isEmpty {
            prefix = ""
        } else {
            do {
                try validateStoredName(prefixPath)
            } catch {
                throw .url(options.url, "bad key prefix \"\(prefixPath)\"")
            }
            prefix = prefixPath + "/"
        }
        virtualHosted = options.virtualHostedStyle
        if virtualHosted && bucket.contains(".") && scheme == "https" {
            throw .url(options.url, "a bucket name with dots cannot be used virtual-hosted over https (its certificate cannot match); use path style")
        }

        let regionChars = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard !options.region.isEmpty, options.region.count <= 64, options.region.allSatisfy(regionChars.contains) else {
            throw .setting("region \"\(options.region)\" is not a region name")
        }
        guard (S3Store.minPartSize...S3Store.maxPartSize).contains(options.partSize) else {
            throw .setting("part size \(options.partSize) is outside 5 MiB to 64 MiB")
        }
        guard options.connectTimeout > 0, options.lowSpeedTime > 0, options.lowSpeedLimit >= 0 else {
            throw .setting("timeouts must be positive")
        }
        if let limit = options.bandwidthLimit, limit <= 0 { throw .setting("bandwidth limit must be positive") }
        if let lock = options.objectLock, !(1...36500).contains(lock.days) {
            throw .setting("lock days must be 1 to 36500")
        }
        for (what, value) in [("access key id", options.credentials.accessKeyID), ("secret", options.credentials.secretAccessKey)]
        where value.isEmpty || value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw .setting("credentials: empty or invalid \(what)")
        }
    }

    /// localhost, 127.0.0.0/8, ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// Why S3 options cannot work.
enum S3OptionsError: Error, Equatable, CustomStringConvertible {
    case endpoint(String, String)
    case url(String, String)
    case setting(String)

    var description: String {
        switch self {
        case let .endpoint(value, reason): "endpoint \"\(value)\": \(reason)"
        case let .url(value, reason): "url \"\(value)\": \(reason)"
        case let .setting(reason): reason
        }
    }
}
