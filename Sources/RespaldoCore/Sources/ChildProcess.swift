import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn: argv as given (no shell), its own environment,
/// stdin from /dev/null or a given descriptor, stdout and stderr as pipes. Given a
/// cancellation token, it is stopped when the token is cancelled (SIGTERM to its group,
/// SIGKILL after `killGrace`).
final class ChildProcess: @unchecked Sendable {
    enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        var description: String {
            switch self {
            case let .exited(code): "exit status \(code)"
            case let .signaled(signal): "killed by signal \(signal)"
            }
        }
    }

    /// How long a child asked to stop (SIGTERM) has before its group gets SIGKILL: enough for
    /// pg_dump or psql to end their session cleanly, short enough that a dump ignoring SIGTERM
    /// cannot hold a cancelled run.
    static let killGrace: TimeInterval = 5

    let pid: pid_t
    let argv: [String]
    /// Read end of the child's stdout (or -1 when stdout was not piped).
    let stdoutFD: Int32
    /// Read end of the child's stderr.
    let stderrFD: Int32
    /// Write end of the child's stdin when `pipeStdin` was asked for, else -1.
    private(set) var stdinFD: Int32
    /// With it, what is left of the child's process group when the child itself ends is killed
    /// (a shell's `sleep 1000 &` that would otherwise outlive the run).
    private let killsGroupOnExit: Bool
    private let lock = NSLock()
    /// Serializes waiters (only one may reap).
    private let waitLock = NSLock()
    private var termination: Termination?
    private var cancellation: CancellationRegistration?

    /// Starts `argv[0]` (looked up in PATH when it has no slash).
    init(argv: [String], environment: [String: String], pipeStdin: Bool = false, pipeStdout: Bool = true,
         cancellation: CancellationToken? = nil, killsGroupOnExit: Bool = false) throws {
        guard !argv.isEmpty, !argv[0].isEmpty else { throw SourceError.spawn("(empty command)", ENOENT) }
        self.argv = argv
        self.killsGroupOnExit = killsGroupOnExit
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        guard Self.makePipe(&errPipe) else { throw SourceError.spawn(argv[0], errno) }
        if pipeStdout, !Self.makePipe(&outPipe) { throw SourceError.spawn(argv[0], errno) }
        if pipeStdin, !Self.makePipe(&inPipe) { throw SourceError.spawn(argv[0], errno) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if pipeStdin {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if pipeStdout { posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1) }
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The daemon may block or ignore signals; the dump tool must start with defaults.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        // Its own process group, so that stopping it reaches whatever it started too (a shell's
        // children would otherwise keep the stdout pipe open and the pipeline waiting).
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgv, cEnv)
        // The child holds its own copies now.
        for fd in [outPipe[1], errPipe[1], inPipe[0]] where fd >= 0 { close(fd) }
        guard status == 0 else {
            for fd in [outPipe[0], errPipe[0], inPipe[1]] where fd >= 0 { close(fd) }
            throw SourceError.spawn(argv[0], status)
        }
        self.pid = pid
        self.stdoutFD = outPipe[0]
        self.stderrFD = errPipe[0]
        self.stdinFD = inPipe[1]
        if let cancellation {
            let registration = cancellation.onCancel { [weak self] _ in self?.terminate() }
            lock.withLock { self.cancellation = registration }
        }
    }

    /// A pipe whose ends close on exec, so no other child inherits them (the child gets its
    /// copies through dup2, which clears the flag). Glibc's pipe2 is not visible to Swift.
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    deinit {
        cancellation?.remove()
        for fd in [stdoutFD, stderrFD, stdinFD] where fd >= 0 { close(fd) }
    }

    /// Closes our end of the child's stdin, so it sees end of input.
    func closeStdin() {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
    }

    /// Waits for the child to end (once; later calls return the same result).
    @discardableResult
    func wait() -> Termination {
        waitLock.lock()
        defer { waitLock.unlock() }
        lock.lock()
        if let termination {
            lock.unlock()
            return termination
        }
        lock.unlock()
        // Wait without reaping and without `lock`, so that `terminate` from another thread
        // can still reach a child this thread is waiting for; reap under the lock, so that
        // `terminate` never signals a pid that was reaped (and might be reused).
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        lock.lock()
        defer { lock.unlock() }
        // Until the child is reaped its pid cannot be reused, so its group id still means its group.
        if killsGroupOnExit { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        cancellation?.remove()
        cancellation = nil
        // WIFEXITED / WEXITSTATUS are macros; these are their definitions.
        let result: Termination = (status & 0x7F) == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
        termination = result
        return result
    }

    /// Asks the child and its process group to stop (SIGTERM), and kills them (SIGKILL) if the
    /// child has not been reaped `killGrace` seconds later; harmless when it already ended
    /// (until it is reaped, the pid and group id are still ours).
    func terminate() {
        guard signalGroup(SIGTERM) else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.killGrace) { [weak self] in
            _ = self?.signalGroup(SIGKILL)
        }
    }

    /// Sends `signal` to the child's group unless it was reaped; true when it was sent.
    private func signalGroup(_ signal: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard termination == nil else { return false }
        kill(-pid, signal)
        return true
    }
}
