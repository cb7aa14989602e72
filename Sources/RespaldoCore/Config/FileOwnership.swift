import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OpenSSH's StrictModes, for respaldo's files: what another unprivileged user owns, or could
/// replace, must not steer a process that may run as root (a config owned by `nobody` whose
/// `command` job root would then run). A file must be owned by the running user or root; a
/// folder, and every folder above it, too, and not writable by group or other, except a
/// root-owned sticky folder such as /tmp (where nobody can rename what others own).
public enum FileOwnership {
    /// The file at `path` (symlinks followed, as opening it does) is owned by us or root.
    public static func checkOwner(path: String, what: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { return }  // existence is checked elsewhere, with its message
        try checkOwner(st, path: path, what: what)
        try checkFolders(above: path, what: what)
    }

    /// `path` (a folder, when it exists) and every folder above it.
    public static func checkFolderChain(_ path: String, what: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            try checkOwner(st, path: path, what: what)
            try checkNotWritable(st, path: path, what: what)
        }
        try checkFolders(above: path, what: what)
    }

    private static func checkFolders(above path: String, what: String) throws {
        var folder = (path as NSString).deletingLastPathComponent
        while !folder.isEmpty {
            var st = stat()
            if stat(folder, &st) == 0 {
                try checkOwner(st, path: folder, what: "folder \(folder) above the \(what)")
                try checkNotWritable(st, path: folder, what: "folder \(folder) above the \(what)")
            }
            if folder == "/" { break }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }

    private static func checkOwner(_ st: stat, path: String, what: String) throws {
        let me = geteuid()
        guard st.st_uid == me || st.st_uid == 0 else {
            throw ConfigError(
                kind: .insecurePermissions, file: path,
                message: "\(what) is owned by \(userName(st.st_uid)) (uid \(st.st_uid)), neither root nor the user respaldo runs as (uid \(me)): "
                    + "that user could change what respaldo does; run chown \(me == 0 ? "root" : String(me)) \(FileSecurity.shellQuoted(path))")
        }
    }

    private static func checkNotWritable(_ st: stat, path: String, what: String) throws {
        let mode = UInt32(st.st_mode)
        guard mode & 0o022 != 0 else { return }
        let stickyRoot = st.st_uid == 0 && mode & UInt32(S_ISVTX) != 0
        guard !stickyRoot else { return }
        throw ConfigError(
            kind: .insecurePermissions, file: path,
            message: "\(what) is writable by group or others (mode \(FileSecurity.octal(mode & 0o7777))): they could replace what is in it; run chmod go-w \(FileSecurity.shellQuoted(path))")
    }

    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "another user" }
        return String(cString: name)
    }
}
