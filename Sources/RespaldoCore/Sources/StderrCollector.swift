import Foundation
import Logging

/// Drains a child's stderr on its own thread (a full stderr pipe would stall the dump), logs
/// its lines with a cap, and keeps the last lines for the error message.
///
/// Each line is shown once: the newest `heldLines` lines are held back from the log for up to
/// `holdSeconds`, because when the tool fails they are its last words and go into the error
/// (which the command prints, alerts send and `status` records). Lines pushed out by newer
/// ones, or older than that, are logged as they come; the held ones are logged when the tool
/// succeeded (`release`) and dropped from the log when it failed (`finalTail`).
final class StderrCollector: @unchecked Sendable {
    static let maxLoggedLines = 200
    static let heldLines = 5
    static let holdSeconds: TimeInterval = 10
    static let maxLineBytes = 2000

    private let lock = NSLock()
    /// Lines not logged yet, oldest first, with the time they came.
    private var held: [(time: Date, text: String)] = []
    /// The last lines, logged or not, for the error message.
    private var tail: [String] = []
    /// True once `finalTail` handed the held lines to an error: they are not logged.
    private var consumed = false
    private var logged = 0
    private let done = DispatchSemaphore(value: 0)
    private let tool: String
    private let logger: Logger

    init(fd: Int32, tool: String, logger: Logger) {
        self.tool = tool
        self.logger = logger
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                // Wake up now and then without input, to log lines held long enough.
                let ready = poll(&poller, 1, 1000)
                if ready == 0 {
                    releaseAged()
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: 10) {
                    add(pending[..<newline])
                    pending.removeSubrange(...newline)
                }
                if pending.count > 8192 {
                    add(pending[...])
                    pending.removeAll()
                }
                releaseAged()
            }
            if !pending.isEmpty { add(pending[...]) }
            done.signal()
        }
        thread.start()
    }

    deinit {
        // Neither outcome was reported (the run failed elsewhere): nothing may be lost.
        if !consumed { held.forEach { log($0.text) } }
    }

    /// The last lines the tool wrote, once it closed stderr, for the error that reports its
    /// failure; they are not logged as well.
    func finalTail() -> String {
        waitForEnd()
        lock.lock()
        defer { lock.unlock() }
        consumed = true
        held.removeAll()
        return tail.joined(separator: " | ")
    }

    /// The tool succeeded: the lines still held are logged (warnings it gave on the way).
    func release() {
        waitForEnd()
        lock.lock()
        let lines = consumed ? [] : held.map(\.text)
        held.removeAll()
        lock.unlock()
        lines.forEach(log)
    }

    private func waitForEnd() {
        done.wait()
        done.signal()
    }

    private func add(_ line: ArraySlice<UInt8>) {
        let text = String(decoding: line.prefix(Self.maxLineBytes), as: UTF8.self)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        lock.lock()
        tail.append(text)
        if tail.count > Self.heldLines { tail.removeFirst(tail.count - Self.heldLines) }
        held.append((Date(), text))
        let overflow = held.count > Self.heldLines ? held.removeFirst().text : nil
        lock.unlock()
        overflow.map(log)
    }

    private func releaseAged() {
        let cutoff = Date().addingTimeInterval(-Self.holdSeconds)
        lock.lock()
        let count = held.prefix { $0.time < cutoff }.count
        let aged = held.prefix(count).map(\.text)
        held.removeFirst(count)
        lock.unlock()
        aged.forEach(log)
    }

    private func log(_ text: String) {
        let logged = lock.withLock {
            self.logged += 1
            return self.logged
        }
        if logged <= Self.maxLoggedLines {
            logger.warning("\(tool): \(text)")
        } else if logged == Self.maxLoggedLines + 1 {
            logger.warning("\(tool): further stderr output not logged")
        }
    }
}
