import Foundation

/// One line of an allowed_signers file, read the way OpenSSH's `sshsig.c` reads it: the
/// principals field (optionally in double quotes), then either a key type or an options field
/// followed by a key type, then the base64 key and an ignored comment.
///
/// Options are told apart from a key type by the key type names OpenSSH knows, as OpenSSH
/// does by trying to read a key first. So a misspelt option is an error naming the line,
/// never an entry that quietly loses its restriction.
enum AllowedSignersLine {
    enum Parsed: Equatable {
        case blank
        case entry(AllowedSigners.Entry)
        case skipped(String)
    }

    /// Key and certificate type names OpenSSH 9 reads in key lines.
    static let knownKeyTypes: Set<String> = [
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com", "ssh-xmss@openssh.com",
        "ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com", "ssh-xmss-cert-v01@openssh.com",
    ]

    struct Options {
        var certAuthority = false
        var namespaces: [String]?
        var validAfter: Date?
        var validBefore: Date?
    }

    static func parse(_ line: [UInt8], number: Int, timeZone: TimeZone) throws(SSHSigError) -> Parsed {
        func fail(_ reason: String) -> SSHSigError { .malformedAllowedSigners(line: number, reason: reason) }
        var cursor = Cursor(line)
        cursor.skipSpace()
        if cursor.isAtEnd || cursor.peek == UInt8(ascii: "#") { return .blank }

        guard let principalsField = cursor.readPrincipals() else { throw fail("unterminated quote in the principals") }
        guard cursor.isAtEnd || cursor.skipSpace() else { throw fail("expected a space after the principals") }
        let principals = principalsField.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !principals.contains(where: \.isEmpty) else { throw fail("empty principal in \"\(principalsField)\"") }

        cursor.skipSpace()
        guard !cursor.isAtEnd else { throw fail("missing key") }
        guard var token = cursor.readOptionsOrWord() else { throw fail("unterminated quote in the options") }
        var options = Options()
        if !knownKeyTypes.contains(token) {
            options = try parseOptions(Array(token.utf8), timeZone: timeZone, fail: fail)
            cursor.skipSpace()
            guard !cursor.isAtEnd else { throw fail("missing key type after the options") }
            token = cursor.readWord()
            guard knownKeyTypes.contains(token) else { throw fail("unknown key type \"\(token)\"") }
        }
        let keyType = token
        cursor.skipSpace()
        guard !cursor.isAtEnd else { throw fail("missing base64 key after \(keyType)") }
        let base64 = cursor.readWord()
        // Anything after the key is a comment.

        if options.certAuthority {
            return .skipped("cert-authority entries (certificate signers) are not supported")
        }
        guard keyType == SSHPublicKey.keyType else {
            return .skipped("key type \(keyType) is not supported (only ssh-ed25519)")
        }
        let key: SSHPublicKey
        do throws(SSHSigError) {
            key = try SSHPublicKey(base64Blob: base64)
        } catch {
            if case .malformedKey(let reason) = error { throw fail("invalid key: \(reason)") }
            throw fail("invalid key: \(error)")
        }
        return .entry(AllowedSigners.Entry(
            line: number, principals: principals, key: key, namespaces: options.namespaces,
            validAfter: options.validAfter, validBefore: options.validBefore))
    }

    /// `opt[,opt…]`, option names case-insensitive, values in double quotes (OpenSSH's
    /// `opt_dequote` refuses unquoted values, so `valid-before=20300101` is an error there and
    /// here).
    static func parseOptions(_ bytes: [UInt8], timeZone: TimeZone, fail: (String) -> SSHSigError) throws(SSHSigError) -> Options {
        var options = Options()
        var cursor = Cursor(bytes)
        while !cursor.isAtEnd {
            if cursor.consumeKeyword("cert-authority", followedBy: [UInt8(ascii: ",")]) {
                options.certAuthority = true
            } else if let name = ["namespaces", "valid-after", "valid-before"].first(where: { cursor.consumeKeyword($0 + "=") }) {
                guard let value = cursor.readQuoted() else { throw fail("\(name) needs a value in double quotes") }
                switch name {
                case "namespaces":
                    guard options.namespaces == nil else { throw fail("more than one namespaces option") }
                    options.namespaces = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                case "valid-after":
                    guard options.validAfter == nil else { throw fail("more than one valid-after option") }
                    guard let date = SSHTimestamp.parse(value, timeZone: timeZone) else { throw fail("invalid valid-after time \"\(value)\"") }
                    options.validAfter = date
                default:
                    guard options.validBefore == nil else { throw fail("more than one valid-before option") }
                    guard let date = SSHTimestamp.parse(value, timeZone: timeZone) else { throw fail("invalid valid-before time \"\(value)\"") }
                    options.validBefore = date
                }
            } else {
                throw fail("unknown option or key type \"\(cursor.readUntilComma())\"")
            }
            if cursor.isAtEnd { break }
            guard cursor.consume(UInt8(ascii: ",")) else { throw fail("unexpected \"\(cursor.readUntilComma())\" in the options") }
            guard !cursor.isAtEnd else { throw fail("the options end with a comma") }
        }
        return options
    }
}

/// A position in one line's bytes.
private struct Cursor {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { isAtEnd ? nil : bytes[index] }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    /// Skips spaces and tabs; returns whether there were any.
    @discardableResult
    mutating func skipSpace() -> Bool {
        let start = index
        while let byte = peek, Self.isSpace(byte) { index += 1 }
        return index > start
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// Bytes up to the next space or tab.
    mutating func readWord() -> String {
        let start = index
        while let byte = peek, !Self.isSpace(byte) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// The principals field: a word, or everything between double quotes (then it may hold
    /// spaces). Nil for a missing closing quote.
    mutating func readPrincipals() -> String? {
        guard consume(Self.quote) else { return readWord() }
        let start = index
        while let byte = peek, byte != Self.quote { index += 1 }
        guard !isAtEnd else { return nil }
        let field = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 1
        return field
    }

    /// A word in which spaces inside double quotes do not end it, and `\"` does not toggle
    /// the quoting (OpenSSH's `sshkey_advance_past_options`). Nil for an unterminated quote.
    mutating func readOptionsOrWord() -> String? {
        let start = index
        var quoted = false
        while let byte = peek, quoted || !Self.isSpace(byte) {
            if byte == Self.backslash, index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                index += 2
                continue
            }
            if byte == Self.quote { quoted.toggle() }
            index += 1
        }
        return quoted ? nil : String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Consumes `keyword` (ASCII, compared case-insensitively) if it is next. With
    /// `followedBy`, the keyword must also be followed by one of those bytes or the end.
    mutating func consumeKeyword(_ keyword: String, followedBy: [UInt8]? = nil) -> Bool {
        let word = Array(keyword.utf8)
        guard bytes.count - index >= word.count else { return false }
        for (offset, expected) in word.enumerated() where lowercased(bytes[index + offset]) != expected {
            return false
        }
        let end = index + word.count
        if let followedBy, end < bytes.count, !followedBy.contains(bytes[end]) { return false }
        index = end
        return true
    }

    /// A double-quoted value with `\"` for a quote inside it (OpenSSH's `opt_dequote`).
    mutating func readQuoted() -> String? {
        guard consume(Self.quote) else { return nil }
        var value: [UInt8] = []
        while let byte = peek, byte != Self.quote {
            if byte == Self.backslash, index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                index += 1
            }
            value.append(bytes[index])
            index += 1
        }
        guard consume(Self.quote) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    /// The rest up to a comma, for error messages.
    mutating func readUntilComma() -> String {
        let start = index
        while let byte = peek, byte != UInt8(ascii: ",") { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
