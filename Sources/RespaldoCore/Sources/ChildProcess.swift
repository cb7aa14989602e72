import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process: argv as given (no shell), its own environment, stdin from /dev/null or a
/// pipe, stdout and stderr as pipes. It leads its own process group and is killed when
/// respaldo dies (Spawner.swift says how). Given a cancellation token, it is stopped when the
/// token is cancelled (SIGTERM to its group, SIGKILL after `killGrace`).
final class ChildProcess: Sendable {
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
    /// With it, what is left of the child's process group when the child itself ends is killed
    /// (a shell's `sleep 1000 &` that would otherwise outlive the run).
    private let killsGroupOnExit: Bool

    private struct State {
        /// Write end of the child's stdin when `pipeStdin` was asked for; -1 without, or once closed.
        var stdinFD: Int32
        var termination: Termination?
        var cancellation: CancellationRegistration?
    }

    private let state: Mutex<State>
    /// Serializes waiters (only one may reap).
    private let reaping = Mutex(())
    /// Why the child's `nice` or `ionice` was refused (an errno), when it was.
    let niceRefused: Int32?
    let ioniceRefused: Int32?

    /// Starts `argv[0]` (looked up in the PATH of `environment` when it has no slash).
    init(argv: [String], environment: [String: String], pipeStdin: Bool = false, pipeStdout: Bool = true,
         cancellation: CancellationToken? = nil, killsGroupOnExit: Bool = false, priority: ChildPriority = .inherited) throws {
        guard let program = argv.first, !program.isEmpty else { throw SourceError.spawn("(empty command)", ENOENT) }
        guard let executable = Spawner.resolve(program, path: environment["PATH"]) else { throw SourceError.spawn(program, ENOENT) }
        self.argv = argv
        self.killsGroupOnExit = killsGroupOnExit
        let child = try Spawner.shared.spawn(executable: executable, argv: argv, environment: environment, pipeStdin: pipeStdin,
                                             pipeStdout: pipeStdout, priority: priority)
        pid = child.pid
        stdoutFD = child.stdoutFD
        stderrFD = child.stderrFD
        state = Mutex(State(stdinFD: child.stdinFD))
        niceRefused = child.niceRefused
        ioniceRefused = child.ioniceRefused
        if let cancellation {
            let registration = cancellation.onCancel { [weak self] _ in self?.terminate() }
            state.withLock { $0.cancellation = registration }
        }
    }

    deinit {
        let (registration, stdinFD) = state.withLock { ($0.cancellation, $0.stdinFD) }
        registration?.remove()
        for fd in [stdoutFD, stderrFD, stdinFD] where fd >= 0 { close(fd) }
    }

    /// Write end of the child's stdin when `pipeStdin` was asked for, else (or once closed) -1.
    var stdinFD: Int32 { state.withLock { $0.stdinFD } }

    /// Closes our end of the child's stdin, so it sees end of input.
    func closeStdin() {
        state.withLock { state in
            if state.stdinFD >= 0 {
                close(state.stdinFD)
                state.stdinFD = -1
            }
        }
    }

    /// Waits for the child to end (once; later calls return the same result).
    @discardableResult
    func wait() -> Termination {
        reaping.withLock { _ in
            if let termination = state.withLock({ $0.termination }) { return termination }
            // Wait without reaping and without `state`'s lock, so that `terminate` from another
            // thread can still reach a child this thread is waiting for; reap under the lock, so
            // that `terminate` never signals a pid that was reaped (and might be reused).
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            return state.withLock { state in
                // Until the child is reaped its pid cannot be reused, so its group id still means its group.
                if killsGroupOnExit { kill(-pid, SIGKILL) }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                state.cancellation?.remove()
                state.cancellation = nil
                // WIFEXITED / WEXITSTATUS are macros; these are their definitions.
                let result: Termination = (status & 0x7F) == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
                state.termination = result
                return result
            }
        }
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
        state.withLock { state in
            guard state.termination == nil else { return false }
            kill(-pid, signal)
            return true
        }
    }
}
