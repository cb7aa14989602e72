import Foundation

/// OpenSSH's PEM-like armor, shared by private key files and signatures:
///
///     -----BEGIN OPENSSH PRIVATE KEY-----
///     <standard base64 with padding, 70 characters a line>
///     -----END OPENSSH PRIVATE KEY-----
///
/// 70 columns is what OpenSSH's `sshbuf_dtob64(…, wrap = 1)` produces, so files written here
/// are byte-for-byte in ssh-keygen's layout.
enum SSHArmor {
    static let lineLength = 70

    static func encode(_ bytes: [UInt8], label: String) -> String {
        let base64 = Array(Data(bytes).base64EncodedString().utf8)
        var out = "-----BEGIN \(label)-----\n"
        var start = 0
        while start < base64.count {
            let end = min(start + lineLength, base64.count)
            out += String(decoding: base64[start..<end], as: UTF8.self)
            out += "\n"
            start = end
        }
        out += "-----END \(label)-----\n"
        return out
    }

    /// The bytes inside the armor labelled `label`.
    ///
    /// Accepts LF or CRLF line ends and surrounding blank lines, as a file edited or copied by
    /// hand might have, but nothing else outside the armor: text before the BEGIN line or after
    /// the END line is an error, not something to skip over.
    static func decode(_ text: String, label: String, malformed: (String) -> SSHSigError) throws(SSHSigError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not match "\n".
        let lines = Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r"))) }
        guard let first = lines.firstIndex(where: { !$0.isEmpty }), lines[first] == begin else {
            throw malformed("missing \"\(begin)\" line")
        }
        guard let last = lines.lastIndex(where: { !$0.isEmpty }), last > first, lines[last] == end else {
            throw malformed("missing \"\(end)\" line")
        }
        let body = lines[(first + 1)..<last].joined()
        guard !body.isEmpty else { throw malformed("no data between the armor lines") }
        guard let data = Data(base64Encoded: body) else { throw malformed("invalid base64 inside the armor") }
        return [UInt8](data)
    }
}
