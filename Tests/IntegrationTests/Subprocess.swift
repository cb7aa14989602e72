import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The outcome of one child process.
struct ProcessResult: Sendable {
    /// The command line, for messages.
    var command: String
    /// The exit status, or 128 + the signal number when a signal ended the process.
    var exitCode: Int32
    /// The signal that ended the process, if one did.
    var signal: Int32?
    var stdout: Data
    var stderr: Data
    /// True when the process ran past its timeout and was killed (with its process group).
    var timedOut: Bool
    /// `ru_maxrss` from `wait4` (KiB on Linux). Beware: after posix_spawn (vfork + exec) it
    /// starts from the *parent's* high-water mark, so it is an upper bound, not the child's own.
    var maxRSSKiB: Int
    /// The largest `VmHWM` seen while polling `/proc/PID/status` (with `sampleMemory`): the
    /// peak resident set of the process itself, after exec.
    var peakHWMKiB: Int?
    var seconds: Double

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// stdout and stderr together, for "the message names X" assertions.
    var output: String { stdoutText + "\n" + stderrText }
    /// Non-empty trimmed stdout lines.
    var stdoutLines: [String] {
        stdoutText.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// A description for assertion messages.
    var summary: String {
        var s = "`\(command)` exited \(exitCode)"
        if let signal { s += " (signal \(signal))" }
        if timedOut { s += " after TIMING OUT" }
        s += String(format: " in %.1fs", seconds)
        s += "\n--- stdout ---\n" + String(stdoutText.prefix(4000))
        s += "\n--- stderr ---\n" + String(stderrText.prefix(4000))
        return s
    }
}

/// A child started with posix_spawn in its own process group. stdin, stdout and stderr are
/// files (so output of any size never blocks the child); a timeout kills the whole group.
final class Subprocess {
    let pid: pid_t
    let command: String
    private let stdoutPath: String
    private let stderrPath: String
    private let started: Date
    private let timeout: TimeInterval
    private var result: ProcessResult?

    /// Starts `argv` (looked up in PATH). `environment` entries override the inherited
    /// environment; a nil value removes the variable.
    init(
        _ argv: [String],
        environment: [String: String?] = [:],
        stdinPath: String? = nil,
        workingDirectory: String? = nil,
        timeout: TimeInterval = 120
    ) throws {
        precondition(!argv.isEmpty)
        command = argv.map(shellQuote).joined(separator: " ")
        self.timeout = timeout
        stdoutPath = try makeTempFile(prefix: "respaldo-it-out")
        stderrPath = try makeTempFile(prefix: "respaldo-it-err")

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_TRUNC, 0o600)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (so a timeout kills the dump command too), no blocked signals and
        // default dispositions (an ignored SIGPIPE would otherwise survive exec).
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attr, &all)

        // (posix_spawn_file_actions_addchdir_np is not visible to Swift: change directory in sh,
        // which then execs the command, so the PID and its rusage stay the command's.)
        let spawnArgv = workingDirectory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + argv } ?? argv
        let cArgv = spawnArgv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, spawnArgv[0], &actions, &attr, cArgv, cEnv)
        guard rc == 0 else {
            unlink(stdoutPath)
            unlink(stderrPath)
            throw TestFailure("cannot start `\(command)`: \(String(cString: strerror(rc)))")
        }
        pid = child
        started = Date()
    }

    deinit {
        if result == nil {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            unlink(stdoutPath)
            unlink(stderrPath)
        }
    }

    /// What the process has written to stderr so far (it may still be running).
    var stderrSoFar: String { String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self) }

    /// Waits for the process (killing its group at the timeout). With `sampleMemory`, polls
    /// `/proc/PID/status` for `VmHWM` while it runs.
    func wait(sampleMemory: Bool = false) -> ProcessResult {
        if let result { return result }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        var peakHWM: Int?
        let deadline = started.addingTimeInterval(timeout)
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r == -1 {
                if errno == EINTR { continue }
                break
            }
            if sampleMemory, let hwm = readVmHWM(pid: pid) {
                peakHWM = max(peakHWM ?? 0, hwm)
            }
            if !timedOut && Date() > deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
            usleep(sampleMemory ? 2_000 : 10_000)
        }
        if timedOut { kill(-pid, SIGKILL) }
        let termSignal = status & 0x7f
        let exitCode: Int32 = termSignal == 0 ? (status >> 8) & 0xff : 128 + termSignal
        let r = ProcessResult(
            command: command,
            exitCode: exitCode,
            signal: termSignal == 0 ? nil : termSignal,
            stdout: FileManager.default.contents(atPath: stdoutPath) ?? Data(),
            stderr: FileManager.default.contents(atPath: stderrPath) ?? Data(),
            timedOut: timedOut,
            maxRSSKiB: Int(usage.ru_maxrss),
            peakHWMKiB: peakHWM,
            seconds: Date().timeIntervalSince(started)
        )
        unlink(stdoutPath)
        unlink(stderrPath)
        result = r
        return r
    }

    /// Runs `argv` to completion.
    static func run(
        _ argv: [String],
        environment: [String: String?] = [:],
        stdinPath: String? = nil,
        workingDirectory: String? = nil,
        timeout: TimeInterval = 120,
        sampleMemory: Bool = false
    ) throws -> ProcessResult {
        try Subprocess(argv, environment: environment, stdinPath: stdinPath, workingDirectory: workingDirectory, timeout: timeout)
            .wait(sampleMemory: sampleMemory)
    }

    /// Runs a bash script with `set -euo pipefail` (for the stock-tool pipelines).
    static func bash(_ script: String, environment: [String: String?] = [:], timeout: TimeInterval = 120) throws -> ProcessResult {
        try run(["bash", "-c", "set -euo pipefail\n" + script], environment: environment, timeout: timeout)
    }

    /// Runs `argv` and throws unless it exits 0.
    @discardableResult
    static func checked(_ argv: [String], environment: [String: String?] = [:], timeout: TimeInterval = 120) throws -> ProcessResult {
        let r = try run(argv, environment: environment, timeout: timeout)
        guard r.exitCode == 0 else { throw TestFailure("command failed: \(r.summary)") }
        return r
    }
}

private func readVmHWM(pid: pid_t) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
    return nil
}

private func makeTempFile(prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw TestFailure("mkstemp failed: \(String(cString: strerror(errno)))") }
    close(fd)
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

func shellQuote(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@,+".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
