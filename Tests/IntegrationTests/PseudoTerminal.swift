import Foundation

/// Runs a command under a real pseudo terminal (util-linux `script`), as an operator at a
/// shell would: stdout and stderr are the terminal, `isatty` is true, the width is set with
/// `stty`. What the terminal received is returned raw and as the screen shows it.
enum PseudoTerminal {
    struct Result {
        var process: ProcessResult
        /// The bytes the terminal received, control sequences included.
        var raw: String { process.stdoutText }
        /// The lines as they stand on the screen once the command ended.
        var screen: [String] { TerminalScreen.render(raw).lines }
        /// Every line drawn, also those erased or overwritten later (each progress redraw).
        var drawn: [String] { TerminalScreen.render(raw).drawn }
        var exitCode: Int32 { process.exitCode }
        var summary: String { "exit \(process.exitCode)\n--- screen ---\n" + screen.joined(separator: "\n") + "\n--- raw ---\n" + raw.debugDescription.prefix(6000) }
    }

    static func run(_ argv: [String], environment: [String: String?] = [:], columns: Int = 120, timeout: TimeInterval = 180) throws -> Result {
        try Tools.require("script", package: "bsdutils")
        let command = "stty cols \(columns) rows 50; exec " + argv.map(shellQuote).joined(separator: " ")
        let process = try Subprocess.run(["script", "--quiet", "--return", "--command", command, "/dev/null"],
                                         environment: environment, timeout: timeout)
        return Result(process: process)
    }
}

/// Replays terminal output the way a terminal shows it, for the few controls respaldo uses:
/// `\r` (back to the start of the line), `\n`, and `ESC [ K` (erase to the end of the line).
struct TerminalScreen {
    /// The final screen, one entry per line.
    var lines: [String] = []
    /// The content of each line at every moment it was about to be erased or left: what a
    /// person saw at some point.
    var drawn: [String] = []

    static func render(_ text: String) -> TerminalScreen {
        var screen = TerminalScreen()
        var line: [Character] = []
        var column = 0
        var characters = Array(text)
        var index = 0
        func put(_ c: Character) {
            if column < line.count { line[column] = c } else { line.append(c) }
            column += 1
        }
        func snapshot() { if !line.isEmpty { screen.drawn.append(String(line)) } }
        while index < characters.count {
            let c = characters[index]
            index += 1
            switch c {
            case "\r\n", "\n":
                // `script` turns "\n" into "\r\n", which Swift reads as one Character.
                snapshot()
                screen.lines.append(String(line))
                line = []
                column = 0
            case "\r":
                column = 0
            case "\u{1B}":
                // CSI: ESC [ params final
                guard index < characters.count, characters[index] == "[" else { continue }
                var end = index + 1
                while end < characters.count, !(characters[end].asciiValue.map { $0 >= 0x40 && $0 <= 0x7E } ?? false) { end += 1 }
                if end < characters.count, characters[end] == "K" {
                    snapshot()
                    line.removeSubrange(min(column, line.count)...)
                }
                index = end + 1
            default:
                put(c)
            }
        }
        characters.removeAll()
        if !line.isEmpty {
            snapshot()
            screen.lines.append(String(line))
        }
        return screen
    }
}
