import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive per-job lock: `flock` on `<state_dir>/locks/<job>.lock`. The kernel drops it
/// when the process dies, so a crash never leaves a job locked.
public final class JobLock {
    private let fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Takes the lock without waiting; `RespaldoError.locked` (exit 75) when it is held.
    /// `name` is the job's, or `<job>.drill` for its drill.
    static func acquire(state: StateDirectory, name job: String) throws -> JobLock {
        try makePrivateDirectory(state.locks)
        let path = state.lockFile(job)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw RespaldoError.failed("cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw RespaldoError.locked(job: job, lockFile: path) }
            throw RespaldoError.failed("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        return JobLock(fd: fd, path: path)
    }
}

/// `mkdir -p` with mode 0700 for every folder it creates.
func makePrivateDirectory(_ path: String) throws {
    var info = stat()
    if stat(path, &info) == 0 {
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw RespaldoError.failed("\(path) exists and is not a folder") }
        return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty && parent != path { try makePrivateDirectory(parent) }
    guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
        throw RespaldoError.failed("cannot create folder \(path): \(String(cString: strerror(errno)))")
    }
}
