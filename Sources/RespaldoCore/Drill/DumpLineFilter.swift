#if canImport(Glibc)
import Glibc
#endif

/// A stateful watcher between a dump and the client that loads it (psql, the mariadb client):
/// fed the dump's chunks in order, it returns the bytes to pass on and throws when a line is a
/// client command the dump has no business running. Whatever the chunk boundaries, the outcome
/// is the same; whatever the line lengths, it holds a bounded number of bytes.
///
/// A filter reads lines, not the client's grammar (quotes, comments, dollar quoting), so it is
/// never what keeps a dump from running commands: the client's own restricted or sandbox mode
/// is. The filter gives the clear message, with the line, for the plain cases.
protocol DumpLineFilter: AnyObject {
    /// The bytes of `chunk` to pass on (those of a dropped line are held back, then left out).
    func feed(_ chunk: [UInt8]) throws -> [UInt8]
    /// The end of the dump: throws when the last line, without a newline, is refused.
    func finish() throws
}

extension DumpLineFilter {
    /// The next piece for the loader: `next`'s chunks through the filter, skipping those it
    /// left nothing of; nil once the dump ended and `finish` passed.
    func next(from next: () throws -> [UInt8]?) throws -> [UInt8]? {
        while let chunk = try next() {
            let passed = try feed(chunk)
            if !passed.isEmpty { return passed }
        }
        try finish()
        return nil
    }
}

/// The start of a refused line for a message: printable ASCII only (the line is hostile
/// input, bound for a terminal and the logs), at most `DumpLineExcerpt.length` bytes.
enum DumpLineExcerpt {
    static let length = 16

    /// `bytes` are the first bytes of the command (at most `length` of them); `more` says the
    /// line went on after them.
    static func render(_ bytes: [UInt8], more: Bool) -> String {
        var shown = Array(bytes.prefix(length))
        while let last = shown.last, DumpByte.isBlank(last) { shown.removeLast() }
        let text = String(decoding: shown.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        return more || bytes.count > length ? text + " …" : text
    }
}

/// The bytes a line filter looks at, by name.
enum DumpByte {
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let backslash = UInt8(ascii: "\\")

    /// Blanks before a command on its line: space, tab, CR, vertical tab, form feed (the
    /// clients skip all of these before a command).
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// The index of the first newline at or after `start` (memchr: most of a dump is the
    /// middle of long lines, which the filters skip), or nil.
    static func newline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(newline), bytes.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
