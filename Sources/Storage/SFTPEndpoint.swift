/// A parsed `sftp://user@host[:port]/path` URL, and the two spellings of a remote path that
/// libcurl wants: percent-encoded in URLs, raw and double-quoted in QUOTE commands.
///
/// The one rule for a remote's URL: the configuration refuses at load what this refuses, and
/// `SFTPStore` takes only a parsed endpoint. It is the stricter of the two rules there were:
/// the store's byte-level reading (what libcurl is then given), plus what the configuration
/// asked for and the store did not check: a remote folder other than the server's root, a
/// port of digits only, and a host name free of spaces and URL delimiters.
public struct SFTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The URL as written, for messages.
    public let text: String
    /// `user@host:port` as written in the URL (percent-encoding kept).
    let authority: String
    public let user: String
    /// The host without IPv6 brackets.
    public let host: String
    public let port: Int
    /// The remote folder, percent-decoded, without a trailing `/`; never empty (the server's
    /// root is refused). A path starting with `/~/` is relative to the user's home, as in curl.
    public let directory: String

    public var description: String { text }

    /// Parses and checks the URL; the error says what is wrong with it.
    public init(_ url: String) throws(SFTPEndpointError) {
        func problem(_ text: String) -> SFTPEndpointError { SFTPEndpointError(url: url, problem: text) }
        let usage = "expected sftp://user@host[:port]/path"
        let scheme = "sftp://"
        guard url.lowercased().hasPrefix(scheme) else { throw problem("is not an sftp:// URL; \(usage)") }
        let rest = url.dropFirst(scheme.count)
        guard !rest.contains("?"), !rest.contains("#") else { throw problem("has a query or fragment; \(usage)") }
        let authority = rest.prefix { $0 != "/" }
        let path = String(rest.dropFirst(authority.count))
        guard let at = authority.lastIndex(of: "@") else { throw problem("has no user; \(usage)") }
        let user = try Self.decode(String(authority[..<at]), in: "user", problem)
        guard !user.isEmpty else { throw problem("has no user; \(usage)") }
        guard !user.contains(":") else { throw problem("carries a password: authentication is by identity_file only") }
        var hostPort = authority[authority.index(after: at)...]
        let host: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw problem("has an unclosed [ in its host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            hostPort = hostPort[hostPort.index(after: close)...]
            guard host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw problem("has host [\(host)], which is not an IPv6 address")
            }
        } else {
            host = hostPort.prefix { $0 != ":" }
            hostPort = hostPort.dropFirst(host.count)
            // RFC 3986's unreserved characters: every DNS name and IPv4 address, and nothing
            // that would end the host or change what libcurl reads.
            guard host.unicodeScalars.allSatisfy(Self.isHostCharacter) else {
                throw problem("has host \"\(host)\", which is not a host name or address")
            }
        }
        guard !host.isEmpty else { throw problem("has no host; \(usage)") }
        var port = 22
        if hostPort.hasPrefix(":") {
            let digits = hostPort.dropFirst()
            // Digits only: Int() would also take "+22".
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw problem("has port \"\(digits)\", not a number; \(usage)")
            }
            guard digits.count <= 5, let number = Int(digits), (1...65535).contains(number) else {
                throw problem("has port \(digits), out of 1-65535")
            }
            port = number
        } else if !hostPort.isEmpty {
            throw problem("has \"\(hostPort)\" after its host, where only :port may come; \(usage)")
        }
        var directory = try Self.decode(path, in: "path", problem)
        while directory.hasSuffix("/") { directory.removeLast() }
        guard !directory.isEmpty else {
            throw problem("has no path; \(usage) (the remote directory)")
        }
        self.text = url
        self.authority = String(authority)
        self.user = user
        self.host = String(host)
        self.port = port
        self.directory = directory
    }

    /// How messages name the server: `host:port`, `[v6]:port`.
    var display: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The host as known_hosts lists it: `[host]:port` unless the port is 22.
    var knownHostsName: String { port == 22 ? host : "[\(host)]:\(port)" }

    /// The raw remote path of a store name ("" is the remote folder itself).
    func path(_ name: String) -> String {
        name.isEmpty ? directory : directory + "/" + name
    }

    /// The URL of a file.
    func url(_ name: String) -> String { "sftp://" + authority + Self.encode(path(name)) }

    /// The URL of a folder: libcurl lists a URL that ends in `/`.
    func folderURL(_ name: String) -> String {
        let url = url(name)
        return url.hasSuffix("/") ? url : url + "/"
    }

    /// A path as a QUOTE command argument: double-quoted, with `\` and `"` escaped (libcurl
    /// unescapes them; paths in QUOTE commands are not percent-decoded).
    func quoted(_ name: String) -> String {
        var out = "\""
        for character in path(name) {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }

    private static func isHostCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_", "~": true
        default: false
        }
    }

    private static func encode(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 15)])
            }
        }
        return out
    }

    /// Percent-decodes the URL's `part`; control characters are refused there, since libcurl
    /// would send them to the server as they are.
    private static func decode(
        _ text: String, in part: String, _ problem: (String) -> SFTPEndpointError
    ) throws(SFTPEndpointError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw problem("has a bad percent-encoding in its \(part) (% and two hex digits)")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw problem("has a \(part) that is not UTF-8 once percent-decoded")
        }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw problem("has control characters in its \(part)")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a URL is no `SFTPEndpoint`: `"<url>" <problem>`, as the configuration's messages say it.
public struct SFTPEndpointError: Error, CustomStringConvertible, Equatable {
    public let url: String
    public let problem: String

    public var description: String { "\"\(url)\" \(problem)" }
}
