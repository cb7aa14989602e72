/// A path to a node of a TOML document: keys and array indices, e.g. `jobs[1].drill.checks`.
struct TOMLPath: Hashable, Sendable, CustomStringConvertible {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    var components: [Component]

    init(_ components: [Component] = []) { self.components = components }

    static let root = TOMLPath()

    func appending(_ key: String) -> TOMLPath { TOMLPath(components + [.key(key)]) }
    func appending(index: Int) -> TOMLPath { TOMLPath(components + [.index(index)]) }
    func appending(_ other: TOMLPath) -> TOMLPath { TOMLPath(components + other.components) }

    /// The path without its last component (nil for the root).
    var parent: TOMLPath? {
        components.isEmpty ? nil : TOMLPath(Array(components.dropLast()))
    }

    /// `jobs[1].drill.checks`; keys that are not bare TOML keys are quoted.
    var description: String {
        var out = ""
        for component in components {
            switch component {
            case .index(let i):
                out += "[\(i)]"
            case .key(let k):
                if !out.isEmpty { out += "." }
                out += TOMLPath.isBareKey(k) ? k : "\"\(k)\""
            }
        }
        return out
    }

    static func isBareKey(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy { isBareKeyByte(UInt32($0.value)) }
    }

    static func isBareKeyByte(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
    }
}

/// Finds the line numbers of keys and table headers in TOML text, which TOMLKit does not report.
///
/// It scans the raw text once: `[table]` and `[[array.of.tables]]` headers (counting the
/// entries of each array of tables, so the second `[[jobs]]` is `jobs[1]` and a following
/// `[jobs.drill]` is `jobs[1].drill`), and `key = value` lines, with bare, quoted and dotted
/// keys. Values are skipped with their strings (including multi-line ones), arrays, inline
/// tables and comments, so text inside a value is never taken for a key. Keys inside inline
/// tables and arrays are not recorded: `nearestLine(of:)` answers for them with the line of the
/// enclosing key. The text is assumed to be valid TOML (it is scanned after TOMLKit parsed it);
/// on invalid text the answers are best effort, never a crash.
struct TOMLLineLocator: Sendable {
    /// 1-based line of each key (full path) and table header; the first occurrence wins.
    private(set) var lines: [TOMLPath: Int] = [:]

    init(text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.run()
        lines = scanner.lines
    }

    /// The line where exactly this key or table is defined.
    func line(of path: TOMLPath) -> Int? { lines[path] }

    /// The line of this key or table or, failing that, of the nearest enclosing one that has a
    /// line (a key inside an inline table answers with the inline table's key).
    func nearestLine(of path: TOMLPath) -> Int? {
        var current: TOMLPath? = path
        while let p = current {
            if let line = lines[p] { return line }
            current = p.parent
        }
        return nil
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var lines: [TOMLPath: Int] = [:]
        /// The table that `key = value` lines currently belong to.
        var current = TOMLPath.root
        /// Number of entries seen so far of each array of tables (by its resolved path).
        var arrayCounts: [TOMLPath: Int] = [:]

        init(bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
        func peek(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

        mutating func run() {
            while !atEnd {
                skipSpaces()
                guard let c = peek else { break }
                switch c {
                case UInt8(ascii: "\n"):
                    line += 1
                    i += 1
                case UInt8(ascii: "\r"):
                    i += 1
                case UInt8(ascii: "#"):
                    skipComment()
                case UInt8(ascii: "["):
                    header()
                default:
                    keyValue()
                }
            }
        }

        mutating func skipSpaces() {
            while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { i += 1 }
        }

        mutating func skipComment() {
            while let c = peek, c != UInt8(ascii: "\n") { i += 1 }
        }

        mutating func skipRestOfLine() {
            while let c = peek, c != UInt8(ascii: "\n") { i += 1 }
        }

        mutating func record(_ path: TOMLPath, line: Int) {
            if lines[path] == nil { lines[path] = line }
        }

        /// Resolves a header's dotted keys against the arrays of tables seen so far: each
        /// prefix that names an array of tables continues into its last entry.
        func resolve(_ keys: [String]) -> TOMLPath {
            var path = TOMLPath.root
            for key in keys {
                path = path.appending(key)
                if let count = arrayCounts[path] { path = path.appending(index: count - 1) }
            }
            return path
        }

        mutating func header() {
            let headerLine = line
            let isArray = peek(1) == UInt8(ascii: "[")
            i += isArray ? 2 : 1
            guard let keys = keyPath(), !keys.isEmpty else {
                skipRestOfLine()
                return
            }
            skipSpaces()
            // Tables defined implicitly by this header (`jobs` for `[jobs.drill]`).
            for length in 1..<keys.count { record(resolve(Array(keys[..<length])), line: headerLine) }
            if isArray {
                let parentPath = resolve(Array(keys.dropLast()))
                let arrayPath = parentPath.appending(keys[keys.count - 1])
                let index = arrayCounts[arrayPath, default: 0]
                arrayCounts[arrayPath] = index + 1
                current = arrayPath.appending(index: index)
                record(arrayPath, line: headerLine)
            } else {
                current = resolve(keys)
            }
            record(current, line: headerLine)
            skipRestOfLine()
        }

        mutating func keyValue() {
            let keyLine = line
            guard let keys = keyPath(), !keys.isEmpty else {
                skipRestOfLine()
                return
            }
            skipSpaces()
            guard peek == UInt8(ascii: "=") else {
                skipRestOfLine()
                return
            }
            i += 1
            var path = current
            for key in keys {
                path = path.appending(key)
                record(path, line: keyLine)
            }
            skipValue()
        }

        /// Parses `a.b."c d".'e'` up to (not including) `=`, `]` or the end of the line.
        mutating func keyPath() -> [String]? {
            var keys: [String] = []
            while true {
                skipSpaces()
                guard let c = peek else { return nil }
                if c == UInt8(ascii: "\"") {
                    guard let k = basicString() else { return nil }
                    keys.append(k)
                } else if c == UInt8(ascii: "'") {
                    guard let k = literalString() else { return nil }
                    keys.append(k)
                } else if TOMLPath.isBareKeyByte(UInt32(c)) {
                    let start = i
                    while let b = peek, TOMLPath.isBareKeyByte(UInt32(b)) { i += 1 }
                    keys.append(String(decoding: bytes[start..<i], as: UTF8.self))
                } else {
                    return nil
                }
                skipSpaces()
                if peek == UInt8(ascii: ".") {
                    i += 1
                    continue
                }
                return keys
            }
        }

        /// A single-line `"..."` string starting at `i`; handles the common escapes.
        mutating func basicString() -> String? {
            i += 1
            var out: [UInt8] = []
            while let c = peek {
                switch c {
                case UInt8(ascii: "\""):
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\n"):
                    return nil
                case UInt8(ascii: "\\"):
                    i += 1
                    guard let e = peek else { return nil }
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                    case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                    case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"), UInt8(ascii: "U"):
                        let count = e == UInt8(ascii: "u") ? 4 : 8
                        guard i + count <= bytes.count,
                              let v = UInt32(String(decoding: bytes[i..<i + count], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(v)
                        else { return nil }
                        i += count
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: out.append(e)
                    }
                default:
                    out.append(c)
                    i += 1
                }
            }
            return nil
        }

        /// A single-line `'...'` string starting at `i`.
        mutating func literalString() -> String? {
            i += 1
            let start = i
            while let c = peek {
                if c == UInt8(ascii: "'") {
                    let s = String(decoding: bytes[start..<i], as: UTF8.self)
                    i += 1
                    return s
                }
                if c == UInt8(ascii: "\n") { return nil }
                i += 1
            }
            return nil
        }

        /// Skips a value, which may span lines (arrays, inline tables, multi-line strings),
        /// up to the end of its line.
        mutating func skipValue() {
            var depth = 0
            while let c = peek {
                switch c {
                case UInt8(ascii: "\n"):
                    if depth == 0 { return }
                    line += 1
                    i += 1
                case UInt8(ascii: "#"):
                    skipComment()
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    i += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth = max(0, depth - 1)
                    i += 1
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    if peek(1) == c && peek(2) == c {
                        skipMultilineString(quote: c)
                    } else if c == UInt8(ascii: "\"") {
                        _ = basicString()
                    } else {
                        _ = literalString()
                    }
                default:
                    i += 1
                }
            }
        }

        /// Skips `"""..."""` or `'''...'''`, counting its lines; up to two extra quotes may
        /// end the string (`""""` is a quote followed by the closing delimiter).
        mutating func skipMultilineString(quote: UInt8) {
            i += 3
            while let c = peek {
                if c == UInt8(ascii: "\n") {
                    line += 1
                    i += 1
                } else if c == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                    i += 1
                    if peek == UInt8(ascii: "\n") { line += 1 }
                    i += 1
                } else if c == quote && peek(1) == quote && peek(2) == quote {
                    i += 3
                    while peek == quote { i += 1 }
                    return
                } else {
                    i += 1
                }
            }
        }
    }
}
