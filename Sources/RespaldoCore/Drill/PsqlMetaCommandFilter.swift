/// Watches a plain-format pg_dump on its way into psql, which loads it in restricted mode
/// (`\restrict` with a key of the drill's own, fed before the dump: PsqlRestriction.swift).
///
/// - pg_dump 13.22, 14.19, 15.14, 16.10, 17.6 and later write `\restrict <key>` near the top
///   and `\unrestrict <key>` at the end, to protect their own readers; under the drill's
///   restriction the first would fail the load. Exactly those lines are dropped: outside COPY
///   data, at the very start of the line, a key of letters and digits and nothing after it.
/// - Any other line outside COPY data whose first non-blank byte is a backslash is a
///   meta-command (`\!`, `\o |cmd`, `\copy … program`, `\i`): the load fails, naming the line
///   and the command's first bytes, before psql has the whole line.
/// - COPY data (after a `COPY … FROM stdin;` statement, up to a line `\.`) passes untouched:
///   there a leading backslash is an escape (`\N`, `\\`), not a command.
///
/// It reads lines, not SQL: a `COPY … FROM stdin;` line inside a multi-line string fools its
/// COPY tracking, a `\!` in the middle of a line goes past it, and a line of a function body
/// that starts with a backslash is refused although psql would take it as text. None of this
/// decides whether a dump can run a command (psql's restriction refuses every meta-command
/// wherever it stands); only which message the operator reads, and that a dump carrying such
/// a body line needs a restore_command of its own.
final class PsqlMetaCommandFilter: DumpLineFilter {
    /// pg_dump's lines are at most 77 bytes (`\unrestrict `, a 64-character key, maybe a CR);
    /// a longer line starting with a backslash is refused without reading further.
    static let maxCommandBytes = 128
    /// Enough of a statement's end to see ` FROM stdin;` behind a few trailing blanks.
    private static let tailBytes = 32
    private static let endOfCopy: [UInt8] = [DumpByte.backslash, UInt8(ascii: ".")]
    private static let copyKeyword = Array("COPY ".utf8)
    private static let fromStdin = Array("FROM STDIN;".utf8)

    private enum Position {
        /// Nothing of the line yet, or blanks only.
        case lineStart
        /// A line of SQL.
        case sql
        /// Outside COPY data, a line whose first non-blank byte is a backslash: held back in
        /// `command` (at most maxCommandBytes + 1 bytes) until its end says drop or refuse.
        case command
        /// A line of COPY data.
        case copyData
    }

    private var position = Position.lineStart
    /// After a `COPY … FROM stdin;` statement, until a line `\.`.
    private var inCopyData = false
    /// A line began with `COPY `; the line that ends the statement (`;`) says whether data follows.
    private var inCopyStatement = false
    /// The current line, from 1.
    private(set) var line = 1
    /// The first bytes of the line: `COPY ` of a statement (5), or `\.` + CR of COPY data (4).
    private var head: [UInt8] = []
    /// The last bytes of a SQL line.
    private var tail: [UInt8] = []
    private var command: [UInt8] = []
    /// Blanks came before the backslash: not one of pg_dump's lines.
    private var commandIndented = false
    /// The line began with blanks (maybe in an earlier chunk).
    private var lineHasBlanks = false

    /// What the filter holds between calls: bounded whatever the line lengths.
    var heldBytes: Int { head.count + tail.count + command.count }

    func feed(_ chunk: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count)
        try chunk.withUnsafeBufferPointer { bytes in
            var index = 0
            while index < bytes.count {
                let end = DumpByte.newline(in: bytes, from: index) ?? bytes.count
                try take(bytes, index, end, into: &output)
                if end < bytes.count { try endOfLine(into: &output) }
                index = end + 1
            }
        }
        return output
    }

    func finish() throws {
        if position == .command && !isPgDumpRestriction() { throw refusal(more: false) }
    }

    /// One line's bytes `start..<end` (no newline among them).
    private func take(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into output: inout [UInt8]) throws {
        var index = start
        if position == .lineStart {
            if inCopyData {
                position = .copyData
            } else {
                while index < end, DumpByte.isBlank(bytes[index]) { index += 1 }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                if index > start { lineHasBlanks = true }
                guard index < end else { return }
                if bytes[index] == DumpByte.backslash {
                    commandIndented = lineHasBlanks
                    position = .command
                } else {
                    position = .sql
                }
            }
        }
        let piece = UnsafeBufferPointer(rebasing: bytes[index..<end])
        switch position {
        case .command:
            command.append(contentsOf: piece.prefix(Self.maxCommandBytes + 1 - command.count))
            if command.count > Self.maxCommandBytes { throw refusal(more: true) }
        case .sql:
            head.append(contentsOf: piece.prefix(Self.copyKeyword.count - head.count))
            tail.append(contentsOf: piece.suffix(Self.tailBytes))
            if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
            output.append(contentsOf: piece)
        case .copyData:
            head.append(contentsOf: piece.prefix(4 - head.count))
            output.append(contentsOf: piece)
        case .lineStart:
            break
        }
    }

    private func endOfLine(into output: inout [UInt8]) throws {
        switch position {
        case .command:
            guard isPgDumpRestriction() else { throw refusal(more: false) }
            // Dropped, newline and all.
        case .sql:
            noteStatementEnd()
            output.append(DumpByte.newline)
        case .copyData:
            // psql's own test: the line is exactly `\.`, with or without a CR.
            if head.starts(with: Self.endOfCopy) && (head.count == 2 || (head.count == 3 && head[2] == DumpByte.carriageReturn)) {
                inCopyData = false
            }
            output.append(DumpByte.newline)
        case .lineStart:
            output.append(DumpByte.newline)
        }
        position = .lineStart
        // Keeping capacity: a dump has millions of lines, and these never grow past a few bytes.
        head.removeAll(keepingCapacity: true)
        tail.removeAll(keepingCapacity: true)
        command.removeAll(keepingCapacity: true)
        commandIndented = false
        lineHasBlanks = false
        line += 1
    }

    /// At the end of a SQL line: a `COPY ` line opens a COPY statement; the line that ends it
    /// with ` FROM stdin;` starts COPY data (pg_dump writes both on one line).
    private func noteStatementEnd() {
        if head.count == Self.copyKeyword.count && uppercased(head) == Self.copyKeyword { inCopyStatement = true }
        guard inCopyStatement else { return }
        var end = tail[...]
        while let last = end.last, DumpByte.isBlank(last) { end = end.dropLast() }
        guard end.last == UInt8(ascii: ";") else { return }
        inCopyStatement = false
        guard uppercased(Array(end.suffix(Self.fromStdin.count))) == Self.fromStdin else { return }
        // A word of its own: after a blank, or first on its line.
        inCopyData = end.dropLast(Self.fromStdin.count).last.map(DumpByte.isBlank) ?? true
    }

    /// `\restrict KEY` or `\unrestrict KEY` as pg_dump writes them.
    private func isPgDumpRestriction() -> Bool {
        guard !commandIndented else { return false }
        var text = command[...]
        if text.last == DumpByte.carriageReturn { text = text.dropLast() }
        for name in ["\\restrict ", "\\unrestrict "] where text.starts(with: name.utf8) {
            let key = text.dropFirst(name.utf8.count)
            return !key.isEmpty && key.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        }
        return false
    }

    private func refusal(more: Bool) -> DrillError {
        .clientCommandInDump(kind: "psql meta-command", line: line, excerpt: DumpLineExcerpt.render(command, more: more))
    }

    private func uppercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }
    }
}
