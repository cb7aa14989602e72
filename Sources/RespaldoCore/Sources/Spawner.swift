import CLinux
import Foundation
import Threading
#if canImport(Glibc)
import Glibc
#endif

/// Starts child processes, all from one thread that lives as long as respaldo.
///
/// Every child gets PR_SET_PDEATHSIG = SIGKILL (CLinux's `respaldo_spawn`), so a dump or a
/// counting psql dies with a respaldo that was SIGKILLed or crashed instead of running on,
/// re-parented to init. The kernel sends that signal when the *thread* that forked the child
/// ends, not the process: forking on a run's own thread would kill the dump when that thread
/// returns, and forking on a Dispatch worker would kill it whenever the pool shrinks. Hence
/// this one thread, which never ends. It also makes every fork in respaldo happen on one
/// thread, one at a time, so a pipe made here for one child can never leak into another
/// child forked between its `pipe` and its `FD_CLOEXEC`.
final class Spawner: Sendable {
    static let shared = Spawner()

    private let work = ConditionLock<[@Sendable () -> Void]>([])

    private init() {
        let thread = Thread { [self] in
            while true {
                let next = work.wait(until: { !$0.isEmpty }, then: { $0.removeFirst() })
                next()
            }
        }
        thread.name = "respaldo-spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns its result.
    private func perform(_ body: @escaping @Sendable () -> Outcome) -> Outcome {
        let result = ConditionLock<Outcome?>(nil)
        work.change {
            $0.append {
                let outcome = body()
                result.change { $0 = outcome }
            }
        }
        return result.wait(until: { $0 != nil }, then: { $0! })
    }

    fileprivate enum Outcome: Sendable {
        case started(SpawnedChild)
        case failed(errno: Int32)
    }
}

/// The descriptors of a spawned child, as the parent holds them.
struct SpawnedChild: Sendable {
    var pid: pid_t
    /// Read end of the child's stdout, or -1.
    var stdoutFD: Int32
    /// Read end of the child's stderr.
    var stderrFD: Int32
    /// Write end of the child's stdin, or -1.
    var stdinFD: Int32
    /// Why the child's `nice` or `ionice` was refused (an errno), when it was.
    var niceRefused: Int32?
    var ioniceRefused: Int32?
}

/// A priority for one child, as respaldo_spawn takes it (set in the child, between fork and
/// exec: on Linux both are a thread's attributes, and respaldo keeps its own).
struct ChildPriority: Sendable, Equatable {
    /// 0-19; nil leaves the child at respaldo's niceness.
    var nice: Int32?
    /// ioprio_set's class (2 best-effort, 3 idle) and level; nil leaves it as inherited.
    var io: (ioClass: Int32, level: Int32)?

    static let inherited = ChildPriority()

    static func == (a: ChildPriority, b: ChildPriority) -> Bool {
        a.nice == b.nice && a.io?.ioClass == b.io?.ioClass && a.io?.level == b.io?.level
    }
}

extension Spawner {
    /// Starts `executable` (an absolute path) with stdin from a pipe or /dev/null, stdout from a
    /// pipe or inherited, stderr to a pipe. Throws `SourceError.spawn` naming `argv[0]`.
    func spawn(executable: String, argv: [String], environment: [String: String], pipeStdin: Bool, pipeStdout: Bool,
               priority: ChildPriority = .inherited) throws -> SpawnedChild {
        let outcome = perform {
            Self.spawnHere(executable: executable, argv: argv, environment: environment, pipeStdin: pipeStdin, pipeStdout: pipeStdout, priority: priority)
        }
        switch outcome {
        case let .started(child): return child
        case let .failed(code): throw SourceError.spawn(argv[0], code)
        }
    }

    private static func spawnHere(executable: String, argv: [String], environment: [String: String], pipeStdin: Bool, pipeStdout: Bool,
                                  priority: ChildPriority) -> Outcome {
        var opened: [Int32] = []
        func fail(_ code: Int32) -> Outcome {
            opened.forEach { close($0) }
            return .failed(errno: code)
        }
        func pipePair() -> (read: Int32, write: Int32)? {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return nil }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            opened += fds
            return (fds[0], fds[1])
        }
        guard let err = pipePair(), let report = pipePair() else { return fail(errno) }
        var out: (read: Int32, write: Int32) = (-1, -1)
        if pipeStdout {
            guard let pair = pipePair() else { return fail(errno) }
            out = pair
        }
        var input: (read: Int32, write: Int32) = (-1, -1)
        if pipeStdin {
            guard let pair = pipePair() else { return fail(errno) }
            input = pair
        } else {
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard null >= 0 else { return fail(errno) }
            opened.append(null)
            input = (null, -1)
        }

        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var code: Int32 = 0
        var warnings: [Int32] = [0, 0]
        let reportFDs = [report.read, report.write]
        let pid = reportFDs.withUnsafeBufferPointer { reportPointer in
            warnings.withUnsafeMutableBufferPointer { warningsPointer in
                respaldo_spawn(executable, cArgv, cEnv, input.read, out.write, err.write,
                               priority.nice ?? -1, priority.io?.ioClass ?? -1, priority.io?.level ?? 0,
                               reportPointer.baseAddress, &code, warningsPointer.baseAddress)
            }
        }
        // respaldo_spawn closed both ends of `report`; the child holds its own copies of the rest.
        opened.removeAll { $0 == report.read || $0 == report.write }
        for fd in [out.write, err.write, input.read] where fd >= 0 {
            close(fd)
            opened.removeAll { $0 == fd }
        }
        guard pid > 0 else { return fail(code) }
        return .started(SpawnedChild(pid: pid, stdoutFD: out.read, stderrFD: err.read, stdinFD: input.write,
                                     niceRefused: warnings[0] == 0 ? nil : warnings[0], ioniceRefused: warnings[1] == 0 ? nil : warnings[1]))
    }

    /// `argv0` itself when it has a slash, else the first executable regular file of that name
    /// in `path` (the child's PATH), as execvp would find it; nil when there is none.
    static func resolve(_ argv0: String, path: String?) -> String? {
        if argv0.contains("/") { return argv0 }
        let folders = (path.flatMap { $0.isEmpty ? nil : $0 } ?? defaultChildPath).split(separator: ":", omittingEmptySubsequences: false)
        for folder in folders {
            let candidate = (folder.isEmpty ? "." : String(folder)) + "/" + argv0
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
