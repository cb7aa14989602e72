/// The SSH wire encoding (RFC 4251 section 5) that OpenSSH key files and SSHSIG blobs use:
/// big-endian `uint32`, and `string` = `uint32` length followed by that many bytes.
///
/// Every length read from input is checked against the bytes that remain before anything is
/// sliced, so a hostile length (up to 0xffffffff) ends in a typed error, never in a trap or a
/// large allocation. Lengths are compared as `Int`, which holds any `UInt32` on 64-bit Linux,
/// so the check itself cannot overflow.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0
    /// Builds the error for a failed read, so that a truncated signature reports
    /// `malformedSignature` and a truncated key file `malformedKey`.
    private let malformed: (String) -> SSHSigError

    init(_ bytes: [UInt8], malformed: @escaping (String) -> SSHSigError) {
        self.bytes = bytes
        self.malformed = malformed
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    /// `count` raw bytes, with no length prefix.
    mutating func readRaw(_ count: Int, _ field: String) throws(SSHSigError) -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw malformed("truncated \(field): needs \(count) bytes, \(remaining) left")
        }
        let out = Array(bytes[offset..<offset + count])
        offset += count
        return out
    }

    mutating func readUInt32(_ field: String) throws(SSHSigError) -> UInt32 {
        let b = try readRaw(4, field)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// A length-prefixed byte string.
    mutating func readString(_ field: String) throws(SSHSigError) -> [UInt8] {
        let length = Int(try readUInt32("\(field) length"))
        guard length <= remaining else {
            throw malformed("\(field) claims \(length) bytes but only \(remaining) remain")
        }
        return try readRaw(length, field)
    }

    /// A length-prefixed string that must be UTF-8 without NUL bytes. OpenSSH reads these
    /// fields as C strings and refuses embedded NULs; refusing them here too keeps a name such
    /// as "file\0respaldo" from meaning one thing to us and another to ssh-keygen.
    mutating func readText(_ field: String) throws(SSHSigError) -> String {
        let raw = try readString(field)
        guard !raw.contains(0), let text = String(validating: raw, as: UTF8.self) else {
            throw malformed("\(field) is not a NUL-free UTF-8 string")
        }
        return text
    }

    /// Fails unless every byte was consumed: trailing data would be bytes that no signature or
    /// check covers.
    func expectEnd(_ what: String) throws(SSHSigError) {
        guard isAtEnd else { throw malformed("\(remaining) unexpected trailing bytes after \(what)") }
    }
}

/// Builds SSH wire encodings; the counterpart of `SSHWireReader`.
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw<C: Collection<UInt8>>(_ data: C) {
        bytes.append(contentsOf: data)
    }

    mutating func uint32(_ value: UInt32) {
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    /// A length-prefixed byte string. Every caller writes values whose size it bounds (keys,
    /// digests, namespaces checked by `SSHSignature.sign`, comments of key files it creates), so
    /// a string over 4 GiB is a programming error, not input.
    mutating func string<C: Collection<UInt8>>(_ data: C) {
        precondition(data.count <= Int(UInt32.max), "SSH wire string longer than 4 GiB")
        uint32(UInt32(data.count))
        raw(data)
    }

    mutating func string(_ text: String) {
        string(Array(text.utf8))
    }
}
