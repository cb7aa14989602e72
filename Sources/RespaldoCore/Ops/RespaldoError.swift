/// Errors that end a command, with the exit status DESIGN.md fixes.
public enum RespaldoError: Error, CustomStringConvertible {
    /// Exit 2: a bad command line or configuration.
    case usage(String)
    /// Exit 75: another run holds the job's lock.
    case locked(job: String, lockFile: String)
    /// Exit 1: the operation failed or found a problem.
    case failed(String)

    public var description: String {
        switch self {
        case let .usage(message), let .failed(message): message
        case let .locked(job, lockFile): "job \(job) is already running (lock \(lockFile) is held)"
        }
    }

    public var exitStatus: Int32 {
        switch self {
        case .usage: 2
        case .locked: 75
        case .failed: 1
        }
    }
}
