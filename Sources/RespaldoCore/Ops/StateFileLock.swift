import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a small state file under `state_dir` (alert history, daemon record) could not be used.
public enum StateFileError: Error, CustomStringConvertible, Equatable {
    /// Its folder could not be made.
    case folder(path: String, reason: String)
    /// A system call failed; `operation` names it.
    case io(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .folder(path, reason): "cannot create \(path): \(reason)"
        case let .io(operation, path, code): "cannot \(operation) \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// Runs `body` holding an exclusive `flock` on `lockPath` (created 0600; a planted symlink is
/// refused), so that the daemon and a command line process never interleave a read-change-write
/// of the same file. The lock goes with the descriptor, also when the process dies.
func withExclusiveLock<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
    let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw StateFileError.io(operation: "open lock", path: lockPath, errno: errno) }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
        guard errno == EINTR else { throw StateFileError.io(operation: "lock", path: lockPath, errno: errno) }
    }
    return try body()
}
