/// A pinned SHA-256 fingerprint of a server's host key, as `ssh-keygen -lf KEY.pub` prints it
/// (`SHA256:` and 43 base64 characters).
///
/// The one rule for `host_key_sha256`, the stricter of the two there were (the
/// configuration's): exactly the 43 base64 characters of a 32-byte digest, with at most the
/// one `=` such a digest pads to (the store's took any number of them). A pin of the right
/// shape that is not the server's is a wrong pin, refused when libcurl connects.
public struct HostKeyFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// The 43 unpadded base64 characters (what CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256 takes).
    public let base64: String

    public var description: String { "SHA256:" + base64 }

    /// Reads `SHA256:<base64>` or the base64 alone, with or without its `=`, between blanks.
    public init(_ text: String) throws(HostKeyFingerprintError) {
        // Blanks as Foundation's .whitespaces has them (the loader's rule used it): spaces and tabs.
        let blank = { (c: Character) in c.isWhitespace && !c.isNewline }
        var value = text.drop(while: blank)
        while let last = value.last, blank(last) { value.removeLast() }
        if value.hasPrefix("SHA256:") { value = value.dropFirst("SHA256:".count) }
        if value.count == 44 && value.hasSuffix("=") { value = value.dropLast() }
        guard value.count == 43, value.unicodeScalars.allSatisfy(Self.isBase64) else {
            throw HostKeyFingerprintError(text: text)
        }
        base64 = String(value)
    }

    private static func isBase64(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "+", "/": true
        default: false
        }
    }
}

/// Why a text is no `HostKeyFingerprint`, as the configuration's message says it.
public struct HostKeyFingerprintError: Error, CustomStringConvertible, Equatable {
    public let text: String

    public var description: String {
        "\"\(text)\" is not a SHA-256 host key fingerprint: expected 43 base64 characters, "
            + "optionally after \"SHA256:\", as printed by ssh-keygen -lf KEY.pub"
    }
}
