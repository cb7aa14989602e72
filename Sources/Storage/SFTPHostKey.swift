import Curl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - Host keys: revoked keys, and what a refusal says

extension SFTPStore {
    /// The key blobs of `@revoked` lines in a known_hosts file (OpenSSH's sshd(8) format:
    /// `@revoked hosts keytype base64 [comment]`). A revoked key is refused for every host.
    static func revokedKeys(_ path: String) -> Set<String> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        var keys: Set<String> = []
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 4, fields[0] == "@revoked" { keys.insert(String(fields[3])) }
        }
        return keys
    }

    func hostKeyDetail(_ error: CurlError, _ transfer: CurlTransfer) -> String {
        if let pinnedSHA256 {
            return "the server's key does not have the pinned SHA-256 fingerprint \(pinnedSHA256) (\(error.message))"
        }
        let file = options.knownHosts ?? ""
        guard let key = transfer.hostKey else { return error.message }
        if transfer.hostKeyRevoked {
            return "the server's \(key.displayType) key is marked @revoked in \(file): it is refused"
        }
        let type = key.displayType
        switch key.match {
        case .mismatch:
            return "the server's \(type) key differs from the one \(file) lists for \(endpoint.knownHostsName) (possible man-in-the-middle, or the server's key changed)"
        case .missing:
            return "\(file) has no key for \(endpoint.knownHostsName) (the server offers \(type) \(key.base64))"
        default:
            return error.message
        }
    }
}
