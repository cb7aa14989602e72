import CLinux
import Foundation
import Logging
import Synchronization

/// Starts a dump tool with the job's `nice` and `ionice`, for it alone. On Linux both are
/// attributes of a thread, and a child takes them from the thread that starts it: a
/// throwaway thread lowers its own priorities (which it could never raise again: that needs
/// privileges) and starts the child. No wrapper program sits in the argv, and the child runs
/// at its priority from its first instruction.
extension ChildProcess {
    static func start(argv: [String], environment: [String: String], priority: DumpPriority,
                      cancellation: CancellationToken? = nil, killsGroupOnExit: Bool = false, logger: Logger) throws -> ChildProcess {
        @Sendable func spawn() throws -> ChildProcess {
            try ChildProcess(argv: argv, environment: environment, cancellation: cancellation, killsGroupOnExit: killsGroupOnExit)
        }
        guard !priority.isDefault else { return try spawn() }
        let outcome = Mutex<Result<ChildProcess, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            lowerThisThread(to: priority, tool: argv[0], logger: logger)
            let started = Result<ChildProcess, any Error> { try spawn() }
            outcome.withLock { $0 = started }
            done.signal()
        }
        thread.name = "respaldo-spawn"
        thread.start()
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// setpriority and ioprio_set on the calling thread (who 0 is the calling task). A refusal
    /// (an older unit whose system call filter forbids them) is logged, never fatal: the
    /// backup matters more than its manners.
    private static func lowerThisThread(to priority: DumpPriority, tool: String, logger: Logger) {
        if let nice = priority.nice, setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Int32(nice)) != 0 {
            logger.warning("nice \(nice) for \(tool) not applied: \(String(cString: strerror(errno)))")
        }
        if let io = priority.io {
            // linux/ioprio.h: class 2 is best-effort (levels 0-7), class 3 idle.
            let (ioClass, level): (Int32, Int32) = switch io {
            case .idle: (3, 0)
            case let .bestEffort(level): (2, Int32(level))
            }
            if respaldo_ioprio_set_self(ioClass, level) != 0 {
                logger.warning("ionice \(io) for \(tool) not applied: \(String(cString: strerror(errno)))")
            }
        }
    }
}
