/// Watches a MySQL/MariaDB dump on its way into the mariadb client, which loads it in sandbox
/// mode (MySQLSandbox.swift). Refuses, naming the line, before the client has the whole line:
///
/// - a line whose first non-blank byte is a backslash: a client command (`\!` runs a shell,
///   `\.` reads a file, `\T` writes one). mysqldump and mariadb-dump never start a line so:
///   their rows start with `(`, their strings escape newlines;
/// - a line whose first word is `system`, in any case: the client's long name for `\!`.
///
/// Everything else passes unchanged, mariadb-dump's first line
/// `/*M!999999\- enable the sandbox mode */` included (the dump's own request for sandbox
/// mode, in a comment the server ignores).
///
/// It reads lines, not SQL: `SELECT 1; \! cmd` goes past it, and a line of a stored routine's
/// body that starts with a backslash or the word `system` is refused although the client would
/// take it as text. The sandbox, not this filter, is what keeps a dump from running commands.
final class MySQLClientCommandFilter: DumpLineFilter {
    private enum Position {
        /// Nothing of the line yet, or blanks only.
        case lineStart
        /// Reading the line's first word into `word`.
        case word
        /// The rest of a line that is no command.
        case rest
        /// A refused command: collecting its first bytes for the message.
        case refusing
    }

    private var position = Position.lineStart
    private var word: [UInt8] = []
    private var excerpt: [UInt8] = []
    /// The current line, from 1.
    private(set) var line = 1

    /// What the filter holds between calls: bounded whatever the line lengths.
    var heldBytes: Int { word.count + excerpt.count }

    func feed(_ chunk: [UInt8]) throws -> [UInt8] {
        // Everything passes on, up to where a refused command starts in this chunk.
        var passed = position == .refusing ? 0 : chunk.count
        try chunk.withUnsafeBufferPointer { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                switch position {
                case .rest:
                    guard let newline = DumpByte.newline(in: bytes, from: index) else { return }
                    index = newline + 1
                    newLine()
                case .lineStart:
                    if byte == DumpByte.newline {
                        newLine()
                    } else if byte == DumpByte.backslash {
                        position = .refusing
                        passed = min(passed, index)
                        continue
                    } else if !DumpByte.isBlank(byte) {
                        position = .word
                        continue
                    }
                    index += 1
                case .word:
                    if byte == DumpByte.newline || DumpByte.isBlank(byte) {
                        if isSystem(word) {
                            position = .refusing
                            excerpt = word
                            passed = min(passed, max(0, index - word.count))
                        } else {
                            position = .rest
                        }
                        word = []
                        continue
                    }
                    word.append(byte)
                    // Longer than `system`: no command this filter refuses.
                    if word.count > 6 {
                        position = .rest
                        word = []
                    }
                    index += 1
                case .refusing:
                    if byte == DumpByte.newline { throw refusal(more: false) }
                    if excerpt.count == DumpLineExcerpt.length { throw refusal(more: true) }
                    excerpt.append(byte)
                    index += 1
                }
            }
        }
        return Array(chunk.prefix(passed))
    }

    func finish() throws {
        if position == .refusing || (position == .word && isSystem(word)) {
            if position == .word { excerpt = word }
            throw refusal(more: false)
        }
    }

    private func newLine() {
        line += 1
        position = .lineStart
    }

    /// The client compares its commands' names without regard to case.
    private func isSystem(_ word: [UInt8]) -> Bool {
        word.count == 6 && word.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }.elementsEqual("system".utf8)
    }

    private func refusal(more: Bool) -> DrillError {
        .clientCommandInDump(kind: "client command", line: line, excerpt: DumpLineExcerpt.render(excerpt, more: more))
    }
}
