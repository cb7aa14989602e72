import Foundation
import Logging
import Threading

/// Drains a child's stderr on its own thread (a full stderr pipe would stall the dump), logs
/// its lines with a cap, and keeps the last lines for the error message.
///
/// Each line is shown once: the newest `heldLines` lines are held back from the log for up to
/// `holdSeconds`, because when the tool fails they are its last words and go into the error
/// (which the command prints, alerts send and `status` records). Lines pushed out by newer
/// ones, or older than that, are logged as they come; the held ones are logged when the tool
/// succeeded (`release`) and dropped from the log when it failed (`finalTail`).
final class StderrCollector: Sendable {
    static let maxLoggedLines = 200
    static let heldLines = 5
    static let holdSeconds: TimeInterval = 10
    static let maxLineBytes = 2000

    private struct State: Sendable {
        /// Lines not logged yet, oldest first, with the time they came.
        var held: [(time: Date, text: String)] = []
        /// The last lines, logged or not, for the error message.
        var tail: [String] = []
        /// True once `finalTail` handed the held lines to an error: they are not logged.
        var consumed = false
        var logged = 0
        /// The tool closed its stderr and every line of it is in.
        var ended = false
    }

    private let state = ConditionLock(State())
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
            state.change { $0.ended = true }
        }
        thread.start()
    }

    deinit {
        // Neither outcome was reported (the run failed elsewhere): nothing may be lost.
        let unreported = state.withLock { $0.consumed ? [] : $0.held.map(\.text) }
        unreported.forEach(log)
    }

    /// The last lines the tool wrote, once it closed stderr, for the error that reports its
    /// failure; they are not logged as well.
    func finalTail() -> String {
        state.wait(until: { $0.ended }) { state in
            state.consumed = true
            state.held.removeAll()
            return state.tail.joined(separator: " | ")
        }
    }

    /// The tool succeeded: the lines still held are logged (warnings it gave on the way).
    func release() {
        let lines = state.wait(until: { $0.ended }) { state in
            defer { state.held.removeAll() }
            return state.consumed ? [] : state.held.map(\.text)
        }
        lines.forEach(log)
    }

    private func add(_ line: ArraySlice<UInt8>) {
        let text = String(decoding: line.prefix(Self.maxLineBytes), as: UTF8.self)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let overflow = state.withLock { state -> String? in
            state.tail.append(text)
            if state.tail.count > Self.heldLines { state.tail.removeFirst(state.tail.count - Self.heldLines) }
            state.held.append((Date(), text))
            return state.held.count > Self.heldLines ? state.held.removeFirst().text : nil
        }
        overflow.map(log)
    }

    private func releaseAged() {
        let cutoff = Date().addingTimeInterval(-Self.holdSeconds)
        let aged = state.withLock { state in
            let count = state.held.prefix { $0.time < cutoff }.count
            defer { state.held.removeFirst(count) }
            return state.held.prefix(count).map(\.text)
        }
        aged.forEach(log)
    }

    private func log(_ text: String) {
        let logged = state.withLock { state in
            state.logged += 1
            return state.logged
        }
        if logged <= Self.maxLoggedLines {
            logger.warning("\(tool): \(text)")
        } else if logged == Self.maxLoggedLines + 1 {
            logger.warning("\(tool): further stderr output not logged")
        }
    }
}
