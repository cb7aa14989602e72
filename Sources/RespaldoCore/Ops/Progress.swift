import Foundation

/// A one-line progress display on a terminal (bytes, rate, percent when the size is known),
/// redrawn twice a second on stderr. Created only when stderr is a terminal.
public final class ProgressMeter: @unchecked Sendable {
    private let label: String
    private let total: Int64?
    private let lock = NSLock()
    private var bytes: Int64 = 0
    private var stopped = false
    private let start = Date()
    private let finished = DispatchSemaphore(value: 0)

    public init(label: String, total: Int64? = nil) {
        self.label = label
        self.total = total
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { break }
                draw(final: false)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Whether progress should be shown: only on a terminal, so logs and pipes stay clean.
    public static var isWanted: Bool { isatty(STDERR_FILENO) == 1 }

    public func add(_ count: Int) {
        lock.lock()
        bytes += Int64(count)
        lock.unlock()
    }

    /// Draws the final state and ends the line.
    public func stop() {
        lock.lock()
        let already = stopped
        stopped = true
        lock.unlock()
        guard !already else { return }
        finished.wait()
        draw(final: true)
    }

    private func draw(final: Bool) {
        lock.lock()
        let count = bytes
        lock.unlock()
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        var line = "\(label): \(formatBytes(count)), \(formatBytes(Int64(Double(count) / elapsed)))/s"
        if let total, total > 0 {
            line += String(format: ", %.0f%%", min(100, Double(count) * 100 / Double(total)))
        }
        line += String(format: ", %.0fs", elapsed)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (final ? "\n" : "")).utf8))
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
