import Foundation
import Synchronization

/// A one-line progress display on a terminal: bytes, rate, and where the size is known (or
/// can be estimated from the previous snapshot) the percentage and the time left; a phase
/// says what is being done (psql building indexes after the last row, when no bytes move).
/// Redrawn twice a second on stderr through `TerminalLine`, so log lines pass above it.
/// Created only when stderr is a terminal.
public final class ProgressMeter: Sendable {
    /// The size the count will reach: known exactly, or estimated (the previous dump's).
    public enum Total: Sendable {
        case exact(Int64)
        case estimate(Int64)
    }

    private struct State {
        var bytes: Int64 = 0
        var phase: String?
        var stopped = false
    }

    private let label: String
    private let total: Total?
    private let start = Date()
    private let state = Mutex(State())
    private let terminal: TerminalLine
    private let finished = DispatchSemaphore(value: 0)

    public init(label: String, total: Total? = nil, terminal: TerminalLine = .standardError) {
        self.label = label
        self.total = total
        self.terminal = terminal
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                if state.withLock({ $0.stopped }) { break }
                terminal.show(line())
            }
            finished.signal()
        }
        thread.name = "respaldo-progress"
        thread.start()
    }

    /// A meter of a transfer whose size is known.
    public convenience init(label: String, total: Int64) {
        self.init(label: label, total: .exact(total))
    }

    /// Whether progress should be shown: only on a terminal, so logs and pipes stay clean.
    public static var isWanted: Bool { isatty(STDERR_FILENO) == 1 }

    public func add(_ count: Int) {
        state.withLock { $0.bytes += Int64(count) }
    }

    /// Sets the count outright (a transfer that reports its position, resumed ones included).
    public func set(_ bytes: Int64) {
        state.withLock { $0.bytes = bytes }
    }

    /// What is happening now, shown after the numbers and drawn at once: a phase can be
    /// short, and the next redraw might come after it ended.
    public func setPhase(_ phase: String?) {
        let changed = state.withLock { state -> Bool in
            guard state.phase != phase, !state.stopped else { return false }
            state.phase = phase
            return true
        }
        if changed { terminal.show(line()) }
    }

    /// Draws the final state and ends the line; it stays on screen, above what follows.
    public func stop() {
        let already = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return state.stopped
        }
        guard !already else { return }
        finished.wait()
        state.withLock { $0.phase = nil }
        terminal.finish(line())
    }

    /// "crm: dump: 12.0 MiB, 3.1 MiB/s, ≈45% of the last dump, ≈0:12 left, 0:04".
    func line() -> String {
        let (count, phase) = state.withLock { ($0.bytes, $0.phase) }
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(count) / elapsed
        var parts = ["\(formatBytes(count))", "\(formatBytes(Int64(rate)))/s"]
        switch total {
        case let .exact(size)? where size > 0:
            parts[0] += " of \(formatBytes(size))"
            parts.append(String(format: "%.0f%%", min(100, Double(count) * 100 / Double(size))))
            if count < size, count > 0 { parts.append("\(formatDuration(Double(size - count) / rate)) left") }
        case let .estimate(size)? where size > 0:
            if count <= size {
                parts.append(String(format: "≈%.0f%% of the last dump", Double(count) * 100 / Double(size)))
                if count > 0 { parts.append("≈\(formatDuration(Double(size - count) / rate)) left") }
            } else {
                parts.append("more than the last dump (\(formatBytes(size)))")
            }
        default:
            break
        }
        parts.append(formatDuration(elapsed))
        // The phase first: on a narrow terminal the numbers are what is cut.
        return "\(label): " + (phase.map { "\($0) — " } ?? "") + parts.joined(separator: ", ")
    }
}

/// 1.5 GiB, 12.0 MiB, 512 B: binary units, as operators read disk sizes.
public func formatBytes(_ count: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
}

/// "0:07", "12:30", "2:05:00": a clock, which reads at a glance in a line that changes.
public func formatDuration(_ seconds: Double) -> String {
    let total = seconds.isFinite ? Int(max(0, seconds.rounded())) : 0
    let hours = total / 3600, minutes = total % 3600 / 60, secs = total % 60
    return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
}
