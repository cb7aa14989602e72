#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed step of `writeFileAtomically` or `createPrivateFile`: callers turn it into their
/// own error, which names what the file is.
public struct FileWriteFailure: Error, Equatable, Sendable {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }
}

/// Replaces `path` with `bytes` so that readers see the old file or the new one, never a part:
/// write to `temporary` in the same folder, fchmod to `mode` (which a umask cannot narrow),
/// fsync, rename, fsync the folder. The temporary is removed on failure. The one routine that
/// replaces a file: a `Store` never replaces what it published.
public func writeFileAtomically(_ bytes: [UInt8], to path: String, temporary: String, mode: mode_t) throws(FileWriteFailure) {
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw FileWriteFailure(operation: "create", path: temporary, errno: errno) }
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    do {
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw FileWriteFailure(operation: "chmod", path: temporary, errno: errno) }
        do {
            try writeAll(fd, bytes)
        } catch {
            throw FileWriteFailure(operation: "write", path: temporary, errno: error.errno)
        }
        guard fsync(fd) == 0 else { throw FileWriteFailure(operation: "fsync", path: temporary, errno: errno) }
    }
    guard rename(temporary, path) == 0 else { throw FileWriteFailure(operation: "rename", path: temporary, errno: errno) }
    renamed = true
    // The rename itself is durable only once the folder is synced.
    let folder = parentFolder(of: path)
    let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dirfd >= 0 else { throw FileWriteFailure(operation: "open folder", path: folder, errno: errno) }
    defer { close(dirfd) }
    guard fsync(dirfd) == 0 else { throw FileWriteFailure(operation: "fsync folder", path: folder, errno: errno) }
}

/// Creates `path` as a new file holding `bytes`, mode 0600 whatever the umask. `O_EXCL` and
/// `O_NOFOLLOW`: never a file or a link already there, so a secret or a key never lands in a
/// file planted in advance, and a key is never overwritten. With `sync`, the bytes are on disk
/// before this returns. A failure after the create removes the file: nothing half-written stays.
public func createPrivateFile(_ bytes: [UInt8], at path: String, sync: Bool = false) throws(FileWriteFailure) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw FileWriteFailure(operation: "create", path: path, errno: errno) }
    defer { close(fd) }
    var failure: FileWriteFailure?
    if fchmod(fd, 0o600) != 0 {
        failure = FileWriteFailure(operation: "chmod", path: path, errno: errno)
    } else if case let .failure(error) = Result(catching: { () throws(WriteFailure) in try writeAll(fd, bytes) }) {
        failure = FileWriteFailure(operation: "write", path: path, errno: error.errno)
    } else if sync && fsync(fd) != 0 {
        failure = FileWriteFailure(operation: "fsync", path: path, errno: errno)
    }
    if let failure {
        unlink(path)
        throw failure
    }
}

/// The folder holding `path`: "." for a bare name, "/" for a name in the root. Trailing
/// slashes are dropped first, as NSString's deletingLastPathComponent does.
func parentFolder(of path: String) -> String {
    var path = Substring(path)
    while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
    guard let slash = path.lastIndex(of: "/") else { return "." }
    var folder = path[..<slash]
    while folder.count > 1 && folder.hasSuffix("/") { folder = folder.dropLast() }
    return folder.isEmpty ? "/" : String(folder)
}
