/// A parsed `sftp://user@host:port/path` URL, and the two spellings of a remote path that
/// libcurl wants: percent-encoded in URLs, raw and double-quoted in QUOTE commands.
struct SFTPEndpoint: Sendable, Equatable {
    /// `user@host:port` as written in the URL (percent-encoding kept).
    var authority: String
    var user: String
    /// The host without IPv6 brackets.
    var host: String
    var port: Int
    /// The remote folder, percent-decoded, without a trailing `/`; "" is the server's root.
    /// A path starting with `/~/` is relative to the user's home, as in curl.
    var root: String

    /// Parses and checks the URL; the error text names what is wrong.
    init(_ url: String) throws(EndpointError) {
        let scheme = "sftp://"
        guard url.lowercased().hasPrefix(scheme) else { throw EndpointError("the URL must start with sftp://") }
        let rest = url.dropFirst(scheme.count)
        guard !rest.contains("?"), !rest.contains("#") else {
            throw EndpointError("the URL must not have a query or fragment")
        }
        let authority = rest.prefix { $0 != "/" }
        let path = String(rest.dropFirst(authority.count))
        guard let at = authority.lastIndex(of: "@") else {
            throw EndpointError("the URL names no user (sftp://user@host/path)")
        }
        let user = try Self.decode(String(authority[..<at]))
        guard !user.isEmpty, !user.contains(":") else {
            throw EndpointError("the URL must name a user and no password")
        }
        var hostPort = authority[authority.index(after: at)...]
        var host: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw EndpointError("unbalanced [ in the host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            hostPort = hostPort[hostPort.index(after: close)...]
        } else {
            host = hostPort.prefix { $0 != ":" }
            hostPort = hostPort.dropFirst(host.count)
        }
        var port = 22
        if hostPort.hasPrefix(":") {
            guard let number = Int(hostPort.dropFirst()), (1...65535).contains(number) else {
                throw EndpointError("bad port in the URL")
            }
            port = number
        } else if !hostPort.isEmpty {
            throw EndpointError("bad host in the URL")
        }
        guard !host.isEmpty else { throw EndpointError("the URL names no host") }
        var root = try Self.decode(path)
        while root.hasSuffix("/") { root.removeLast() }
        guard !root.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw EndpointError("the URL path has control characters")
        }
        self.authority = String(authority)
        self.user = user
        self.host = String(host)
        self.port = port
        self.root = root
    }

    /// How messages name the server: `host:port`, `[v6]:port`.
    var display: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The host as known_hosts lists it: `[host]:port` unless the port is 22.
    var knownHostsName: String { port == 22 ? host : "[\(host)]:\(port)" }

    /// The raw remote path of a store name ("" is the root folder itself).
    func path(_ name: String) -> String {
        name.isEmpty ? (root.isEmpty ? "/" : root) : root + "/" + name
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

    private static func decode(_ text: String) throws(EndpointError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw EndpointError("bad percent-encoding in the URL")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw EndpointError("the URL is not UTF-8 once percent-decoded")
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

struct EndpointError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
