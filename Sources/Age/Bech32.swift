/// Bech32 (BIP 173) as age uses it for keys: `age1…` recipients and `AGE-SECRET-KEY-1…`
/// identities. Unlike BIP 173 there is no 90-character limit.
///
/// Strictness matters for keys: mixed case is rejected (the checksum is over the lowercase
/// form, so a mixed-case string has no single canonical meaning), and padding bits must be
/// zero and fewer than 5, so each key has exactly one string.
enum Bech32 {
    private static let charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let charsetIndex: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, char) in charset.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var chk: UInt32 = 1
        for value in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 {
                chk ^= generator[i]
            }
        }
        return chk
    }

    private static func expandHRP(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func checksum(hrp: [UInt8], data: [UInt8]) -> [UInt8] {
        let mod = polymod(expandHRP(hrp) + data + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8((mod >> (5 * (5 - UInt32($0)))) & 31) }
    }

    /// Regroups bits; with `pad` false, leftover bits must be fewer than `from` and all zero.
    private static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0, bits = 0
        var out: [UInt8] = []
        let maxValue = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            acc = (acc << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxValue))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxValue)) }
        } else if bits >= from || (acc << (to - bits)) & maxValue != 0 {
            return nil
        }
        return out
    }

    /// Encodes `data` under `hrp`. An uppercase HRP yields an all-uppercase string.
    static func encode(hrp: String, data: [UInt8]) -> String {
        let upper = hrp.uppercased() == hrp && hrp.lowercased() != hrp
        let lowerHRP = Array(hrp.lowercased().utf8)
        let values = convertBits(data, from: 8, to: 5, pad: true)!  // 8→5 with padding cannot fail
        var out = lowerHRP + [UInt8(ascii: "1")]
        out += (values + checksum(hrp: lowerHRP, data: values)).map { charset[Int($0)] }
        let string = String(decoding: out, as: UTF8.self)
        return upper ? string.uppercased() : string
    }

    /// Decodes a Bech32 string, returning the HRP as written (callers compare it exactly) and
    /// the data bytes. Errors never echo the input, which may be a secret key.
    static func decode(_ string: String) throws -> (hrp: String, data: [UInt8]) {
        let chars = Array(string.utf8)
        let hasLower = chars.contains { (0x61...0x7a).contains($0) }
        let hasUpper = chars.contains { (0x41...0x5a).contains($0) }
        guard !(hasLower && hasUpper) else { throw AgeError.invalidKey("mixed-case Bech32 string") }
        guard let separator = chars.lastIndex(of: UInt8(ascii: "1")), separator >= 1, separator + 7 <= chars.count else {
            throw AgeError.invalidKey("malformed Bech32 string (separator)")
        }
        let hrp = Array(chars[..<separator])
        guard hrp.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw AgeError.invalidKey("invalid character in Bech32 prefix")
        }
        let lowerHRP = hrp.map { (0x41...0x5a).contains($0) ? $0 + 0x20 : $0 }
        var values: [UInt8] = []
        for char in chars[(separator + 1)...] {
            let lower = (0x41...0x5a).contains(char) ? char + 0x20 : char
            guard lower < 128, charsetIndex[Int(lower)] >= 0 else {
                throw AgeError.invalidKey("invalid character in Bech32 data")
            }
            values.append(UInt8(charsetIndex[Int(lower)]))
        }
        guard polymod(expandHRP(lowerHRP) + values) == 1 else {
            throw AgeError.invalidKey("invalid Bech32 checksum")
        }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else {
            throw AgeError.invalidKey("invalid Bech32 padding")
        }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
