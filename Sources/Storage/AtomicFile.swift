#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed step of `writeFileAtomically`: callers turn it into their own error, which names
/// what the file is.
public struct AtomicWriteFailure: Error, Equatable, Sendable {
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
public func writeFileAtomically(_ bytes: [UInt8], to path: String, temporary: String, mode: mode_t) throws(AtomicWriteFailure) {
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw AtomicWriteFailure(operation: "create", path: temporary, errno: errno) }
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    do {
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw AtomicWriteFailure(operation: "chmod", path: temporary, errno: errno) }
        do {
            try writeAll(fd, bytes)
        } catch {
            throw AtomicWriteFailure(operation: "write", path: temporary, errno: error.errno)
        }
        guard fsync(fd) == 0 else { throw AtomicWriteFailure(operation: "fsync", path: temporary, errno: errno) }
    }
    guard rename(temporary, path) == 0 else { throw AtomicWriteFailure(operation: "rename", path: temporary, errno: errno) }
    renamed = true
    // The rename itself is durable only once the folder is synced.
    let folder = parentFolder(of: path)
    let dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dirfd >= 0 else { throw AtomicWriteFailure(operation: "open folder", path: folder, errno: errno) }
    defer { close(dirfd) }
    guard fsync(dirfd) == 0 else { throw AtomicWriteFailure(operation: "fsync folder", path: folder, errno: errno) }
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
