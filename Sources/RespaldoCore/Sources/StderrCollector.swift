import Foundation
import Logging

/// Drains a child's stderr on its own thread (a full stderr pipe would stall the dump), logs
/// its lines with a cap, and keeps a bounded tail for the error message.
final class StderrCollector: @unchecked Sendable {
    static let maxLoggedLines = 200
    static let tailBytes = 4096

    private let lock = NSLock()
    private var tail: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32, tool: String, logger: Logger) {
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var logged = 0
            var buffer = [UInt8](repeating: 0, count: 16384)
            func emit(_ line: ArraySlice<UInt8>) {
                logged += 1
                if logged <= Self.maxLoggedLines {
                    let text = String(decoding: line.prefix(2000), as: UTF8.self)
                    logger.warning("\(tool): \(text)")
                } else if logged == Self.maxLoggedLines + 1 {
                    logger.warning("\(tool): further stderr output not logged")
                }
            }
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                let piece = buffer[0..<count]
                lock.lock()
                tail.append(contentsOf: piece)
                if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
                lock.unlock()
                pending.append(contentsOf: piece)
                while let newline = pending.firstIndex(of: 10) {
                    emit(pending[..<newline])
                    pending.removeSubrange(...newline)
                }
                if pending.count > 8192 {
                    emit(pending[...])
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { emit(pending[...]) }
            done.signal()
        }
        thread.start()
    }

    /// The last lines the tool wrote, once it closed stderr.
    func finalTail() -> String {
        done.wait()
        done.signal()
        lock.lock()
        defer { lock.unlock() }
        let lines = String(decoding: tail, as: UTF8.self).split(separator: "\n").suffix(5)
        return lines.joined(separator: " | ")
    }
}
