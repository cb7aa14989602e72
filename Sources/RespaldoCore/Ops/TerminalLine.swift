import Foundation
import Storage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The bottom line of the terminal on stderr, which a progress meter redraws in place, shared
/// with everything else that writes there. A log line (or a line on stdout, when stdout is the
/// same terminal) first erases the progress line, is written whole, and the progress line is
/// drawn again below it: log lines never collide with a half-drawn meter.
///
/// Only one meter shows at a time (commands run their transfers one after another).
public final class TerminalLine: Sendable {
    public static let standardError = TerminalLine(fd: STDERR_FILENO)

    private struct State {
        /// The progress text on screen now, without its line ending; nil when none is.
        var shown: String?
    }

    private let fd: Int32
    private let state = Mutex(State())
    /// Erase the whole line, cursor to its start.
    private static let erase = "\r\u{1B}[K"

    init(fd: Int32) {
        self.fd = fd
    }

    /// Draws `text` as the progress line, replacing the one shown. It is cut to the
    /// terminal's width: a wrapped line could not be erased with one `\r`.
    public func show(_ text: String) {
        let line = Self.fit(text, columns: columns())
        state.withLock { state in
            state.shown = line
            write(fd, Self.erase + line)
        }
    }

    /// Draws `text` one last time and ends its line: it stays on screen as a record, and
    /// nothing will redraw it.
    public func finish(_ text: String) {
        let line = Self.fit(text, columns: columns())
        state.withLock { state in
            state.shown = nil
            write(fd, Self.erase + line + "\n")
        }
    }

    /// Removes the progress line from the screen.
    public func clear() {
        state.withLock { state in
            guard state.shown != nil else { return }
            state.shown = nil
            write(fd, Self.erase)
        }
    }

    /// Writes a complete line (ending in a newline) to this terminal's descriptor, above the
    /// progress line.
    public func writeLine(_ line: String) {
        writeAbove(fd: fd, line)
    }

    /// Writes `text` to `target` (stdout, say); when `target` is the terminal this line is
    /// on, the progress line is erased first and redrawn after.
    public func writeAbove(fd target: Int32, _ text: String) {
        state.withLock { state in
            guard let shown = state.shown, sameTerminal(target) else {
                write(target, text)
                return
            }
            write(fd, Self.erase)
            write(target, text)
            write(fd, shown)
        }
    }

    private func sameTerminal(_ target: Int32) -> Bool {
        if target == fd { return true }
        guard isatty(target) == 1 else { return false }
        var a = stat(), b = stat()
        return fstat(target, &a) == 0 && fstat(fd, &b) == 0 && a.st_rdev == b.st_rdev
    }

    private func columns() -> Int {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// `text` cut to fit `columns` less one (a character in the last column makes some
    /// terminals wrap at once), with "…" when something was cut.
    static func fit(_ text: String, columns: Int) -> String {
        let room = max(columns - 1, 8)
        guard text.count > room else { return text }
        return String(text.prefix(room - 1)) + "…"
    }

    private func write(_ target: Int32, _ text: String) {
        // A closed terminal: nothing better to do with a progress line than drop it.
        try? writeAll(target, Array(text.utf8))
    }
}
