import CCurl

/// How libcurl's known_hosts lookup judged the server's SSH host key.
public enum HostKeyMatch: Sendable, Equatable {
    /// known_hosts lists this key for the host.
    case ok
    /// known_hosts lists a different key for the host.
    case mismatch
    /// known_hosts has no key for the host.
    case missing
    /// libcurl could not tell (CURLKHMATCH_LAST or a value this wrapper does not know).
    case unknown

    init(_ match: curl_khmatch) {
        switch match {
        case CURLKHMATCH_OK: self = .ok
        case CURLKHMATCH_MISMATCH: self = .mismatch
        case CURLKHMATCH_MISSING: self = .missing
        default: self = .unknown
        }
    }
}

/// The key type libcurl reports (CURLKHTYPE_*).
public enum HostKeyType: Sendable, Equatable {
    case ed25519, ecdsa, rsa, dss, rsa1, unknown

    init(_ type: curl_khtype) {
        switch type {
        case CURLKHTYPE_ED25519: self = .ed25519
        case CURLKHTYPE_ECDSA: self = .ecdsa
        case CURLKHTYPE_RSA: self = .rsa
        case CURLKHTYPE_DSS: self = .dss
        case CURLKHTYPE_RSA1: self = .rsa1
        default: self = .unknown
        }
    }

    /// The OpenSSH name (for ECDSA libcurl does not say which curve: nistp256 is assumed).
    public var name: String {
        switch self {
        case .ed25519: "ssh-ed25519"
        case .ecdsa: "ecdsa-sha2-nistp256"
        case .rsa: "ssh-rsa"
        case .dss: "ssh-dss"
        case .rsa1: "rsa1"
        case .unknown: "unknown"
        }
    }
}

/// What libcurl's host-key callback saw (known_hosts mode only: with a pinned SHA-256 libcurl
/// compares the fingerprint itself and calls no callback).
public struct ObservedHostKey: Sendable, Equatable {
    public var match: HostKeyMatch
    public var type: HostKeyType
    /// The type named inside the key blob (`ssh-ed25519`, `ecdsa-sha2-nistp384`), when known.
    public var typeName: String?
    /// The key blob in base64, as it appears in a known_hosts line.
    public var base64: String

    /// The most precise name of the key's type.
    public var displayType: String { typeName ?? type.name }
}

extension ObservedHostKey {
    /// Reads the key libcurl hands to CURLOPT_SSH_KEYFUNCTION.
    init(_ key: curl_khkey, match: curl_khmatch) {
        self.match = HostKeyMatch(match)
        type = HostKeyType(key.keytype)
        // len 0: `key` is NUL-terminated base64; otherwise `len` raw bytes.
        if key.len == 0 {
            typeName = nil
            base64 = String(cString: key.key)
        } else {
            let blob = UnsafeRawBufferPointer(start: key.key, count: key.len)
            typeName = sshKeyType(blob)
            base64 = base64Encode(blob)
        }
    }
}

/// The key type an SSH public key blob starts with (RFC 4253 6.6: a length-prefixed string).
func sshKeyType(_ blob: UnsafeRawBufferPointer) -> String? {
    guard blob.count >= 4 else { return nil }
    let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
    guard length > 0, length <= 64, blob.count >= 4 + length else { return nil }
    let name = blob[4..<(4 + length)]
    guard name.allSatisfy({ (0x21...0x7e).contains($0) }) else { return nil }
    return String(decoding: name, as: UTF8.self)
}

/// Standard base64 (RFC 4648, with padding), as used in known_hosts lines and Content-MD5.
public func base64Encode(_ bytes: UnsafeRawBufferPointer) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
        let b0 = UInt32(bytes[index])
        let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
        let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
        let group = b0 << 16 | b1 << 8 | b2
        out.append(alphabet[Int(group >> 18 & 63)])
        out.append(alphabet[Int(group >> 12 & 63)])
        out.append(index + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
        out.append(index + 2 < bytes.count ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}
