import Foundation
import Logging

/// Starts a dump tool with the job's `nice` and `ionice`, for it alone. On Linux both are
/// attributes of a thread, and a child takes them from the thread that forks it; every child is
/// forked by the spawner thread (Spawner.swift), which must keep respaldo's own priority, so the
/// child sets its own between fork and exec (respaldo_spawn). No wrapper program sits in the
/// argv, and the child runs at its priority from its first instruction.
extension ChildProcess {
    static func start(argv: [String], environment: [String: String], priority: DumpPriority,
                      cancellation: CancellationToken? = nil, killsGroupOnExit: Bool = false, logger: Logger) throws -> ChildProcess {
        let child = try ChildProcess(argv: argv, environment: environment, cancellation: cancellation,
                                     killsGroupOnExit: killsGroupOnExit, priority: priority.forChild)
        // A refusal (an older unit whose system call filter forbids setpriority or ioprio_set) is
        // logged, never fatal: the backup matters more than its manners.
        if let code = child.niceRefused, let nice = priority.nice {
            logger.warning("nice \(nice) for \(argv[0]) not applied: \(String(cString: strerror(code)))")
        }
        if let code = child.ioniceRefused, let io = priority.io {
            logger.warning("ionice \(io) for \(argv[0]) not applied: \(String(cString: strerror(code)))")
        }
        return child
    }
}

extension DumpPriority {
    /// As respaldo_spawn takes it; linux/ioprio.h: class 2 is best-effort (levels 0-7), class 3 idle.
    var forChild: ChildPriority {
        ChildPriority(
            nice: nice.map { Int32($0) },
            io: io.map { io in
                switch io {
                case .idle: (3, 0)
                case let .bestEffort(level): (2, Int32(level))
                }
            })
    }
}
