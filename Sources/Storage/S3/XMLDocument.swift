/// A small, bounded XML reader for S3's responses (hostile input: it never traps, refuses
/// DTDs and so entity expansion, and caps depth and element count).
///
/// It keeps what S3 responses carry: elements (namespace prefixes dropped) and their text;
/// attributes, comments and processing instructions are skipped.
struct XMLElement: Equatable {
    var name: String
    var children: [XMLElement] = []
    /// The element's own character data (CDATA included), entities decoded.
    var text: String = ""

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }
}

enum XMLError: Error, Equatable, CustomStringConvertible {
    case malformed(offset: Int, reason: String)
    case tooDeep(limit: Int)
    case tooManyElements(limit: Int)

    var description: String {
        switch self {
        case let .malformed(offset, reason): "malformed XML at byte \(offset): \(reason)"
        case let .tooDeep(limit): "XML nested deeper than \(limit) elements"
        case let .tooManyElements(limit): "XML with more than \(limit) elements"
        }
    }
}

enum XMLDocument {
    static let maxDepth = 32
    static let maxElements = 200_000

    /// Parses one document and returns its root element.
    static func parse(_ bytes: [UInt8]) throws(XMLError) -> XMLElement {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var elements = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte order mark
        }

        mutating func document() throws(XMLError) -> XMLElement {
            var stack: [XMLElement] = []
            var root: XMLElement?
            while index < bytes.count {
                if bytes[index] != UInt8(ascii: "<") {
                    let text = try characterData()
                    if stack.isEmpty {
                        guard text.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }) else {
                            throw fail("text outside the root element")
                        }
                    } else {
                        stack[stack.count - 1].text += text
                    }
                } else if starts("<?") {
                    try skip(past: "?>")
                } else if starts("<!--") {
                    try skip(past: "-->")
                } else if starts("<![CDATA[") {
                    guard !stack.isEmpty else { throw fail("CDATA outside the root element") }
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    stack[stack.count - 1].text += String(decoding: bytes[start..<(index - 3)], as: UTF8.self)
                } else if starts("<!") {
                    throw fail("document type declarations are not accepted")
                } else if starts("</") {
                    index += 2
                    let name = try self.name()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw fail("expected > after </\(name)") }
                    index += 1
                    guard let open = stack.popLast(), open.name == name else { throw fail("unexpected </\(name)>") }
                    if stack.isEmpty {
                        guard root == nil else { throw fail("more than one root element") }
                        root = open
                    } else {
                        stack[stack.count - 1].children.append(open)
                    }
                } else {
                    index += 1
                    let name = try self.name()
                    elements += 1
                    guard elements <= XMLDocument.maxElements else { throw .tooManyElements(limit: XMLDocument.maxElements) }
                    let selfClosing = try attributes()
                    guard root == nil else { throw fail("content after the root element") }
                    let element = XMLElement(name: name)
                    if selfClosing {
                        if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
                    } else {
                        guard stack.count < XMLDocument.maxDepth else { throw .tooDeep(limit: XMLDocument.maxDepth) }
                        stack.append(element)
                    }
                }
            }
            guard stack.isEmpty else { throw fail("unclosed <\(stack[stack.count - 1].name)>") }
            guard let root else { throw fail("no root element") }
            return root
        }

        func starts(_ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            return bytes.count - index >= p.count && bytes[index..<(index + p.count)].elementsEqual(p)
        }

        mutating func skip(past terminator: String) throws(XMLError) {
            let t = Array(terminator.utf8)
            while index + t.count <= bytes.count {
                if bytes[index..<(index + t.count)].elementsEqual(t) {
                    index += t.count
                    return
                }
                index += 1
            }
            throw fail("missing \(terminator)")
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }

        /// An element name; a namespace prefix (`s3:Key`) is dropped.
        mutating func name() throws(XMLError) -> String {
            let start = index
            while index < bytes.count {
                let c = bytes[index]
                if c == UInt8(ascii: ">") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=") || [0x20, 0x09, 0x0a, 0x0d].contains(c) { break }
                if c == UInt8(ascii: "<") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { throw fail("bad character in a name") }
                index += 1
            }
            guard index > start else { throw fail("empty name") }
            var name = String(decoding: bytes[start..<index], as: UTF8.self)
            if let colon = name.lastIndex(of: ":") { name = String(name[name.index(after: colon)...]) }
            guard !name.isEmpty else { throw fail("empty name") }
            return name
        }

        /// Skips attributes up to `>` or `/>`; true for `/>`.
        mutating func attributes() throws(XMLError) -> Bool {
            while true {
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated tag") }
                if bytes[index] == UInt8(ascii: ">") {
                    index += 1
                    return false
                }
                if starts("/>") {
                    index += 2
                    return true
                }
                _ = try name()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("attribute without a value") }
                index += 1
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw fail("unquoted attribute value")
                }
                let quote = bytes[index]
                index += 1
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw fail("unterminated attribute value") }
                index += 1
            }
        }

        /// Text up to the next `<`, with entity and character references decoded.
        mutating func characterData() throws(XMLError) -> String {
            var out: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "<") {
                if bytes[index] != UInt8(ascii: "&") {
                    out.append(bytes[index])
                    index += 1
                    continue
                }
                let start = index + 1
                var end = start
                while end < bytes.count, end - start <= 10, bytes[end] != UInt8(ascii: ";") { end += 1 }
                guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw fail("unterminated entity") }
                let reference = String(decoding: bytes[start..<end], as: UTF8.self)
                switch reference {
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "amp": out.append(UInt8(ascii: "&"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    guard reference.hasPrefix("#") else { throw fail("unknown entity &\(reference);") }
                    let digits = reference.dropFirst()
                    let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
                    guard let value, value != 0, let scalar = Unicode.Scalar(value) else { throw fail("bad character reference &\(reference);") }
                    out += Array(String(Character(scalar)).utf8)
                }
                index = end + 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        func fail(_ reason: String) -> XMLError { .malformed(offset: index, reason: reason) }
    }
}
