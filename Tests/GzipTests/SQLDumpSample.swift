/// Deterministic text shaped like a pg_dump: COPY rows with ids, names, e-mails, timestamps,
/// amounts, free text and hex tokens, so it compresses about as a real dump does (random bytes
/// would not compress at all, and repeated lines would compress far too well).
struct SQLDumpSample {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64: tiny, fast and the same on every platform.
    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    static func make(bytes count: Int, seed: UInt64 = 42) -> [UInt8] {
        var sample = SQLDumpSample(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count + 512)
        while out.count < count { sample.appendChunk(to: &out) }
        out.removeLast(out.count - count)
        return out
    }

    private static let words: [[UInt8]] = """
        order shipped pending refund invoice customer account premium basic trial payment card \
        transfer warehouse berlin madrid lisbon paris london oslo prague vienna delivery return \
        express standard note gift wrap priority damaged replaced cancelled confirmed review \
        the and of to for with on at by from discount coupon loyalty points balance credit debit
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Array($0.utf8) }
    private static let names: [[UInt8]] = [
        "ana", "luis", "marta", "jorge", "sofia", "pablo", "lucia", "diego", "elena", "carlos",
        "ines", "raul", "nuria", "ivan", "clara", "hugo", "irene", "oscar", "paula", "sergio",
    ].map { Array($0.utf8) }
    private static let hex = Array("0123456789abcdef".utf8)

    /// A table header, a few thousand rows, and the end-of-data marker.
    private mutating func appendChunk(to out: inout [UInt8]) {
        out.append(contentsOf: Array("\nCOPY public.orders (id, customer, email, created_at, amount, status, token, note) FROM stdin;\n".utf8))
        for _ in 0..<(1000 + below(3000)) { appendRow(to: &out) }
        out.append(contentsOf: Array("\\.\n".utf8))
    }

    private mutating func appendRow(to out: inout [UInt8]) {
        let tab: UInt8 = 9
        appendNumber(100_000 + below(900_000), to: &out)
        out.append(tab)
        let first = Self.names[below(Self.names.count)], last = Self.names[below(Self.names.count)]
        out.append(contentsOf: first)
        out.append(32)
        out.append(contentsOf: last)
        out.append(tab)
        out.append(contentsOf: first)
        out.append(46)
        out.append(contentsOf: last)
        appendNumber(below(100), to: &out)
        out.append(contentsOf: Array("@example.com\t2024-".utf8))
        appendPadded(1 + below(12), to: &out)
        out.append(45)
        appendPadded(1 + below(28), to: &out)
        out.append(32)
        appendPadded(below(24), to: &out)
        out.append(58)
        appendPadded(below(60), to: &out)
        out.append(58)
        appendPadded(below(60), to: &out)
        out.append(contentsOf: Array("+00\t".utf8))
        appendNumber(below(5000), to: &out)
        out.append(46)
        appendPadded(below(100), to: &out)
        out.append(tab)
        out.append(contentsOf: Self.words[below(12)])
        out.append(tab)
        for _ in 0..<12 { out.append(Self.hex[below(16)]) }
        out.append(tab)
        for index in 0..<(2 + below(10)) {
            if index > 0 { out.append(32) }
            out.append(contentsOf: Self.words[below(Self.words.count)])
        }
        out.append(10)
    }

    private func appendNumber(_ value: Int, to out: inout [UInt8]) {
        if value >= 10 { appendNumber(value / 10, to: &out) }
        out.append(48 + UInt8(value % 10))
    }

    private func appendPadded(_ value: Int, to out: inout [UInt8]) {
        out.append(48 + UInt8(value / 10 % 10))
        out.append(48 + UInt8(value % 10))
    }
}
