import Foundation
import Logging
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// A psql or mariadb client kept open on a pipe: statements go to its standard input and each
/// batch ends with a statement that prints a marker, so the lines before the marker are that
/// batch's result. Used where one database session must outlive several steps (a transaction
/// whose snapshot the dump shares). Not `Sendable`: the pending output is one reader's; only
/// `stopper` may be used from elsewhere.
final class SQLSession {
    let tool: String
    private let child: ChildProcess
    private let stderr: StderrCollector
    private let marker = "respaldo-end-" + String(UInt64.random(in: 1 ... .max), radix: 36)
    /// Builds the statement that makes the client print `marker` on a line of its own.
    private let echo: (String) -> String
    private var pending: [UInt8] = []

    /// The client gets the dump tools' allow-listed environment (it connects as the dump
    /// does) plus `environment`; `cancellation` stops it.
    init(argv: [String], environment: [String: String], echo: @escaping (String) -> String,
         cancellation: CancellationToken? = nil, logger: Logger) throws {
        tool = URL(fileURLWithPath: argv[0]).lastPathComponent
        child = try ChildProcess(argv: argv, environment: dumpEnvironment(adding: environment), pipeStdin: true, cancellation: cancellation)
        stderr = StderrCollector(fd: child.stderrFD, tool: tool, logger: logger)
        self.echo = echo
    }

    deinit { close() }

    var pid: pid_t { child.pid }

    /// Sends `sql` and returns the lines it printed. Throws when the client ended first (it
    /// could not connect, or an error stopped it).
    func query(_ sql: String, operation: String) throws -> [String] {
        let text = sql + "\n" + echo(marker) + "\n"
        do {
            try writeAll(child.stdinFD, Array(text.utf8))
        } catch {
            throw ended(operation)
        }
        var lines: [String] = []
        while let line = try readLine() {
            if line == marker { return lines }
            lines.append(line)
        }
        throw ended(operation)
    }

    /// Sends statements without waiting for a result.
    func send(_ sql: String) {
        try? writeAll(child.stdinFD, Array((sql + "\n").utf8))
    }

    /// Ends the input, so the client runs what it has and quits; waits for it.
    @discardableResult
    func close() -> ChildProcess.Termination {
        child.closeStdin()
        return child.wait()
    }

    /// Stops the client at once (its open transaction is rolled back by the server).
    func terminate() {
        child.terminate()
    }

    /// `terminate`, for any thread, also while another thread holds the session.
    var stopper: @Sendable () -> Void { { [child] in child.terminate() } }

    private func ended(_ operation: String) -> DrillError {
        child.terminate()
        let termination = child.wait()
        return DrillError.tool(tool, operation: operation, termination: termination.description, stderrTail: stderr.finalTail())
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(child.stdoutFD, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            pending.append(contentsOf: buffer[0..<count])
        }
    }
}
