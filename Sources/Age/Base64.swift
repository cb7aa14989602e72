/// The two strict base64 codecs age uses (standard alphabet).
///
/// - Header (`padded: false`): no `=`; a length of 1 mod 4 is invalid.
/// - Armor (`padded: true`): `=` padding required to a multiple of 4.
///
/// Both reject any character outside the alphabet (including CR, LF and spaces) and non-zero
/// unused bits in the last character. That makes every value have exactly one encoding, so an
/// attacker cannot alter the header's bytes without changing what they decode to — the header
/// MAC covers the encoded text, and malleable encodings would undermine that. Foundation's
/// decoder and OpenSSL's `EVP_DecodeBlock` are lenient, hence this codec.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let invalid: UInt8 = 0xff
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes `bytes`, with or without `=` padding.
    static func encode<C: Collection>(_ bytes: C, padded: Bool = false) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next(), b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 {
                out.append(alphabet[Int((b1 & 0x0f) << 2 | (b2 ?? 0) >> 6)])
            } else if padded {
                out.append(UInt8(ascii: "="))
            }
            if let b2 {
                out.append(alphabet[Int(b2 & 0x3f)])
            } else if padded {
                out.append(UInt8(ascii: "="))
            }
        }
        return out
    }

    /// Encodes `bytes` as a String without padding (header arguments and body lines).
    static func encodeString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: encode(bytes), as: UTF8.self)
    }

    /// Strictly decodes `chars`, returning nil for anything but the canonical encoding.
    static func decode<C: Collection>(_ chars: C, padded: Bool = false) -> [UInt8]? where C.Element == UInt8 {
        var text = Array(chars)
        if padded {
            guard text.count % 4 == 0 else { return nil }
            var pads = 0
            while pads < 2, text.last == UInt8(ascii: "=") {
                text.removeLast()
                pads += 1
            }
            // One pad leaves 3 characters in the last group, two pads leave 2.
            if pads > 0, text.count % 4 != 4 - pads { return nil }
        }
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3 + 2)
        var index = 0
        while index < text.count {
            let remaining = min(4, text.count - index)
            var values: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            for k in 0..<remaining {
                let v = decodeTable[Int(text[index + k])]
                if v == invalid { return nil }  // also rejects "=", CR, LF and spaces
                switch k {
                case 0: values.0 = v
                case 1: values.1 = v
                case 2: values.2 = v
                default: values.3 = v
                }
            }
            out.append(values.0 << 2 | values.1 >> 4)
            switch remaining {
            case 2:
                guard values.1 & 0x0f == 0 else { return nil }  // non-canonical unused bits
            case 3:
                guard values.2 & 0x03 == 0 else { return nil }
                out.append(values.1 << 4 | values.2 >> 2)
            default:
                out.append(values.1 << 4 | values.2 >> 2)
                out.append(values.2 << 6 | values.3)
            }
            index += remaining
        }
        return out
    }

    /// Strictly decodes an unpadded String (header arguments).
    static func decode(_ string: String) -> [UInt8]? {
        decode(Array(string.utf8), padded: false)
    }
}
