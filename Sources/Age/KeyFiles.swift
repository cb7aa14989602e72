/// Splits text into lines on LF, dropping one trailing CR per line, like Go's bufio.Scanner.
/// (Swift's `split` on Character would treat "\r\n" as one grapheme and miss it.)
private func keyFileLines(_ text: String) -> [(number: Int, text: String)] {
    let bytes = Array(text.utf8)
    var lines: [(Int, String)] = []
    for (index, raw) in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
        let trimmed = raw.last == 0x0d ? raw.dropLast() : raw
        lines.append((index + 1, String(decoding: trimmed, as: UTF8.self)))
    }
    return lines
}

/// Identity files as age-keygen writes them.
public enum IdentityFile {
    /// age-keygen format: '#' comment lines and blank lines ignored; every other line must be an
    /// AGE-SECRET-KEY-1 identity. At least one identity is required. Errors give the line
    /// number but never the line, which could be a (mistyped) secret key.
    public static func parse(_ text: String) throws -> [X25519Identity] {
        var identities: [X25519Identity] = []
        for (number, line) in keyFileLines(text) {
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                identities.append(try X25519Identity(line))
            } catch let error as AgeError {
                throw AgeError.invalidKey("identity file line \(number): \(reason(error))")
            }
        }
        guard !identities.isEmpty else { throw AgeError.invalidKey("no identities found in identity file") }
        return identities
    }
}

/// Recipients files as `age -R` reads them.
public enum RecipientsFile {
    /// one age1… per line, '#' comments and blank lines ignored. At least one is required.
    public static func parse(_ text: String) throws -> [X25519Recipient] {
        var recipients: [X25519Recipient] = []
        for (number, line) in keyFileLines(text) {
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                recipients.append(try X25519Recipient(line))
            } catch let error as AgeError {
                throw AgeError.invalidKey("recipients file line \(number): \(reason(error))")
            }
        }
        guard !recipients.isEmpty else { throw AgeError.invalidKey("no recipients found in recipients file") }
        return recipients
    }
}

private func reason(_ error: AgeError) -> String {
    if case .invalidKey(let reason) = error { return reason }
    return error.description
}
