import Foundation
import Logging
import Storage
import Synchronization
import Threading
#if canImport(Glibc)
import Glibc
#endif

/// Runs the drill's client tools (psql, mariadb, tar, a restore command) as child processes and
/// stops every one of them when the drill is interrupted, so that SIGINT or SIGTERM reaches
/// the restore at once and the cleanup that follows can still run its own tools.
///
/// Every tool gets the minimal environment (ChildEnvironment.swift) plus what its caller
/// passes: these tools read restored content, and nothing of respaldo's own environment or of
/// its user's startup files (~/.psqlrc, ~/.my.cnf) has any business in them.
final class ToolRunner: Sendable {
    private struct State {
        var live: [pid_t: ChildProcess] = [:]
        var signal: Int32?
        var homeFolder: String?
    }

    private let state = Mutex(State())
    let logger: Logger
    private static let noHome = "/nonexistent"

    init(logger: Logger) {
        self.logger = logger
    }

    /// HOME for the tools: the drill's private work folder (DrillTargets.make sets it, before
    /// any tool runs). Until it is set, HOME names a folder that does not exist, never the
    /// user's own.
    var home: String {
        get { state.withLock { $0.homeFolder ?? Self.noHome } }
        set { state.withLock { $0.homeFolder = newValue } }
    }

    /// Records the signal and stops the tools that are running; later tools refuse to start,
    /// except those started with `cleanup`.
    func interrupt(_ signal: Int32) {
        let running = state.withLock { state in
            if state.signal == nil { state.signal = signal }
            return Array(state.live.values)
        }
        running.forEach { $0.terminate() }
    }

    var interruption: Interrupted? {
        state.withLock { $0.signal.map { Interrupted(signal: $0) } }
    }

    func checkInterrupted() throws {
        if let interruption { throw interruption }
    }

    /// Runs `argv` to completion and returns its standard output (at most 1 MiB is kept).
    /// Throws when it does not exit 0. `cleanup` tools run even after an interruption.
    func run(_ argv: [String], environment: [String: String], operation: String, cleanup: Bool = false) throws -> String {
        let child = try start(argv, environment: environment, pipeStdin: false, cleanup: cleanup)
        defer { forget(child) }
        let tool = toolName(argv)
        let stderr = StderrCollector(fd: child.stderrFD, tool: tool, logger: logger)
        let output = readAll(child.stdoutFD, limit: 1 << 20)
        let termination = child.wait()
        guard termination == .exited(0) else {
            if !cleanup, let interruption { throw interruption }
            throw DrillError.tool(tool, operation: operation, termination: termination.description, stderrTail: stderr.finalTail())
        }
        stderr.release()
        return String(decoding: output, as: UTF8.self)
    }

    /// Feeds the chunks `next` returns into `argv`'s standard input and waits for it to exit 0.
    /// When the stream fails, the tool is killed before it sees the end of its input, so that a
    /// loader inside a transaction (psql --single-transaction) never commits a partial restore.
    func load(_ argv: [String], environment: [String: String], operation: String, from next: () throws -> [UInt8]?) throws {
        let child = try start(argv, environment: environment, pipeStdin: true, cleanup: false)
        defer { forget(child) }
        let tool = toolName(argv)
        let stderr = StderrCollector(fd: child.stderrFD, tool: tool, logger: logger)
        let drain = OutputDrain(fd: child.stdoutFD)
        var writeFailed = false
        do {
            while let chunk = try next() {
                do {
                    try writeAll(child.stdinFD, chunk)
                } catch {
                    // The tool stopped reading: it failed, and its exit status says why.
                    writeFailed = true
                    break
                }
            }
        } catch {
            child.terminate()
            child.wait()
            drain.wait()
            throw error
        }
        child.closeStdin()
        let termination = child.wait()
        drain.wait()
        if let interruption { throw interruption }
        guard termination == .exited(0), !writeFailed else {
            throw DrillError.tool(tool, operation: operation, termination: termination.description, stderrTail: stderr.finalTail())
        }
        stderr.release()
    }

    private func start(_ argv: [String], environment: [String: String], pipeStdin: Bool, cleanup: Bool) throws -> ChildProcess {
        // Under the lock, so that an interruption either sees this child or stops it starting.
        try state.withLock { state in
            if !cleanup, let signal = state.signal { throw Interrupted(signal: signal) }
            let child = try ChildProcess(argv: argv, environment: minimalChildEnvironment(home: state.homeFolder ?? Self.noHome, adding: environment),
                                         pipeStdin: pipeStdin)
            state.live[child.pid] = child
            return child
        }
    }

    private func forget(_ child: ChildProcess) {
        child.terminate()
        child.wait()
        _ = state.withLock { $0.live.removeValue(forKey: child.pid) }
    }

    private func toolName(_ argv: [String]) -> String { URL(fileURLWithPath: argv[0]).lastPathComponent }
}

/// Reads and discards a child's output on its own thread (a full pipe would stall the child).
final class OutputDrain: Sendable {
    /// True once the output ended.
    private let ended = ConditionLock(false)

    init(fd: Int32) {
        let thread = Thread { [ended] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
            }
            ended.change { $0 = true }
        }
        thread.start()
    }

    func wait() {
        ended.wait(until: { $0 }, then: { _ in })
    }
}

/// Reads `fd` to its end, keeping at most `limit` bytes.
func readAll(_ fd: Int32, limit: Int) -> [UInt8] {
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        if output.count < limit { output.append(contentsOf: buffer[0..<min(count, limit - output.count)]) }
    }
    return output
}
