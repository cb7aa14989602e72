import CryptoPrimitives

/// The age header: serialization for the encryptor and an incremental parser for the decryptor.
///
/// ```
/// age-encryption.org/v1
/// -> X25519 <base64 share>
/// <base64 body, 64 columns per line, always ending with a short (possibly empty) line>
/// --- <base64 HMAC-SHA-256 of everything up to and including "---">
/// ```
/// Lines end in LF only; a CR anywhere is a parse error because it is neither a valid argument
/// character nor base64.
enum Format {
    static let intro: [UInt8] = Array("age-encryption.org/v1".utf8)
    static let stanzaPrefix: [UInt8] = Array("->".utf8)
    static let footerPrefix: [UInt8] = Array("---".utf8)
    static let columnsPerLine = 64
    static let bytesPerLine = columnsPerLine / 4 * 3  // 48
    static let macSize = 32

    /// Header bytes from the intro through the closing "---": the input of the header MAC.
    static func headerWithoutMAC(_ stanzas: [Stanza]) -> [UInt8] {
        var out = intro
        out.append(0x0a)
        for stanza in stanzas { serialize(stanza, into: &out) }
        out += footerPrefix
        return out
    }

    /// Completes a header from `headerWithoutMAC` and its MAC.
    static func closeHeader(_ withoutMAC: [UInt8], mac: [UInt8]) -> [UInt8] {
        var out = withoutMAC
        out.append(UInt8(ascii: " "))
        out += Base64.encode(mac)
        out.append(0x0a)
        return out
    }

    static func serialize(_ stanza: Stanza, into out: inout [UInt8]) {
        out += stanzaPrefix
        for argument in [stanza.type] + stanza.args {
            out.append(UInt8(ascii: " "))
            out += Array(argument.utf8)
        }
        out.append(0x0a)
        // Body lines of 48 bytes (64 columns). The body always ends with a short line, which is
        // empty when the length is a multiple of 48: that short line is what ends the stanza.
        var offset = 0
        while true {
            let end = min(offset + bytesPerLine, stanza.body.count)
            out += Base64.encode(stanza.body[offset..<end])
            out.append(0x0a)
            if end - offset < bytesPerLine { break }
            offset = end
        }
    }

    /// A valid argument: non-empty, printable ASCII 0x21...0x7E (so no spaces, CR or LF).
    static func isValidArgument(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { (0x21...0x7e).contains($0) }
    }
}

/// Parses a header one complete line at a time (lines without their LF).
struct HeaderParser {
    private(set) var stanzas: [Stanza] = []
    /// The MAC from the closing line, once parsed.
    private(set) var mac: [UInt8]?
    private var sawIntro = false
    /// The stanza whose body is being read: it stays open until a short body line.
    private var open: Stanza?

    /// Consumes one line; returns true when it was the closing `---` line.
    mutating func parse(line: ArraySlice<UInt8>) throws -> Bool {
        if !sawIntro {
            guard line.elementsEqual(Format.intro) else {
                throw AgeError.headerFailure(line.starts(with: Array("age-encryption.org/".utf8))
                    ? "unsupported version line" : "not an age file (bad intro line)")
            }
            sawIntro = true
            return false
        }
        if var stanza = open {
            // Inside a stanza every line is a body line, even one that looks like "->" or "---":
            // a stanza must end with a short line, and those fail to decode here.
            guard let decoded = Base64.decode(line, padded: false) else {
                throw AgeError.headerFailure("malformed stanza body line (\(stanza.type) stanza)")
            }
            guard decoded.count <= Format.bytesPerLine else {
                throw AgeError.headerFailure("stanza body line longer than \(Format.columnsPerLine) columns")
            }
            stanza.body += decoded
            if decoded.count < Format.bytesPerLine {
                stanzas.append(stanza)
                open = nil
            } else {
                open = stanza
            }
            return false
        }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        if line.starts(with: Format.footerPrefix) {
            guard parts.count == 2, parts[0].elementsEqual(Format.footerPrefix) else {
                throw AgeError.headerFailure("malformed closing line")
            }
            guard let mac = Base64.decode(parts[1], padded: false), mac.count == Format.macSize else {
                throw AgeError.headerFailure("malformed header MAC")
            }
            self.mac = mac
            return true
        }
        if line.starts(with: Format.stanzaPrefix) {
            guard parts.count >= 2, parts[0].elementsEqual(Format.stanzaPrefix) else {
                throw AgeError.headerFailure("malformed stanza line")
            }
            let arguments = parts.dropFirst()
            guard arguments.allSatisfy(Format.isValidArgument) else {
                throw AgeError.headerFailure("invalid stanza argument")
            }
            let strings = arguments.map { String(decoding: $0, as: UTF8.self) }
            open = Stanza(type: strings[0], args: Array(strings.dropFirst()), body: [])
            return false
        }
        throw AgeError.headerFailure("unexpected line in header")
    }
}

/// Accumulates header bytes from arbitrary pieces of input, splits them into lines for
/// `HeaderParser`, and keeps the raw bytes for the MAC check. Bounded by `maxSize`.
struct HeaderReader {
    /// Headers are a few hundred bytes per recipient; a megabyte leaves room for thousands of
    /// recipients while keeping a hostile or non-age input from growing memory without bound.
    static let maxSize = 1 << 20

    private(set) var bytes: [UInt8] = []
    private var lineStart = 0
    private var parser = HeaderParser()
    /// Set once the closing line has been parsed.
    private(set) var isComplete = false
    /// Length of the MAC input: everything through the "---" of the closing line.
    private(set) var macInputLength = 0

    var stanzas: [Stanza] { parser.stanzas }
    var mac: [UInt8] { parser.mac ?? [] }
    var macInput: ArraySlice<UInt8> { bytes[0..<macInputLength] }

    /// Consumes header bytes from `input` and returns how many it used; stops right after the
    /// header's last LF, so the rest of `input` is the payload nonce and STREAM.
    mutating func consume(_ input: UnsafeRawBufferPointer) throws -> Int {
        var used = 0
        while used < input.count, !isComplete {
            let rest = UnsafeRawBufferPointer(rebasing: input[used...])
            let newline = rest.firstIndex(of: 0x0a)
            let take = newline.map { $0 - rest.startIndex + 1 } ?? rest.count
            guard bytes.count + take <= HeaderReader.maxSize else {
                throw AgeError.headerFailure("header larger than \(HeaderReader.maxSize) bytes")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<rest.startIndex + take]))
            used += take
            guard newline != nil else { break }
            let lineEnd = bytes.count - 1
            if try parser.parse(line: bytes[lineStart..<lineEnd]) {
                isComplete = true
                macInputLength = lineStart + Format.footerPrefix.count
            }
            lineStart = bytes.count
        }
        return used
    }
}
