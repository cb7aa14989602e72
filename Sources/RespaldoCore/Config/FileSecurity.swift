import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Permission checks on the files the configuration names, from `stat(2)` (symlinks are
/// followed: the file they point to is checked). Only the permission bits are judged; the
/// owner is not.
///
/// - `checkNotWritableByOthers`: for files whose *integrity* matters — the config file,
///   recipients files, known_hosts. Group- or other-writable is refused.
/// - `checkPrivate`: for *secrets* — private keys, passwords, passphrases, credentials.
///   Group or other able to read or write is refused.
///
/// Both also refuse a missing file or one that is not a regular file. Every failure is a
/// `ConfigError` (kind `.insecurePermissions` or `.fileProblem`) whose `file` is the checked
/// path and whose message names the mode in octal and the `chmod` to run.
public enum FileSecurity {
    public static func checkNotWritableByOthers(path: String, what: String) throws {
        let mode = try regularFileMode(path: path, what: what)
        try FileOwnership.checkOwner(path: path, what: what)
        if mode & 0o022 != 0 {
            throw ConfigError(
                kind: .insecurePermissions, file: path,
                message: "\(what) is writable by \(whom(mode, mask: 0o022)) (mode \(octal(mode))); "
                    + "only its owner may change it: run chmod go-w \(shellQuoted(path))")
        }
    }

    public static func checkPrivate(path: String, what: String) throws {
        let mode = try regularFileMode(path: path, what: what)
        try FileOwnership.checkOwner(path: path, what: what)
        if mode & 0o066 != 0 {
            let access = mode & 0o044 != 0 ? "readable" : "writable"
            throw ConfigError(
                kind: .insecurePermissions, file: path,
                message: "\(what) is \(access) by \(whom(mode, mask: 0o066)) (mode \(octal(mode))); "
                    + "it must be private: run chmod 600 \(shellQuoted(path))")
        }
    }

    /// The permission bits (`st_mode & 07777`) of the regular file at `path`, following symlinks.
    static func regularFileMode(path: String, what: String) throws -> UInt32 {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            let reason: String
            switch code {
            case ENOENT: reason = "does not exist"
            case ENOTDIR: reason = "does not exist (a parent is not a directory)"
            case EACCES: reason = "cannot be examined: permission denied"
            default: reason = "cannot be examined: " + String(cString: strerror(code))
            }
            throw ConfigError(kind: .fileProblem, file: path, message: "\(what) \(reason)")
        }
        let type = UInt32(st.st_mode) & UInt32(S_IFMT)
        guard type == UInt32(S_IFREG) else {
            let kind: String
            switch type {
            case UInt32(S_IFDIR): kind = "a directory"
            case UInt32(S_IFIFO): kind = "a FIFO"
            case UInt32(S_IFSOCK): kind = "a socket"
            case UInt32(S_IFCHR), UInt32(S_IFBLK): kind = "a device"
            default: kind = "not a regular file"
            }
            throw ConfigError(
                kind: .fileProblem, file: path,
                message: "\(what) is not a regular file" + (kind.hasPrefix("a ") ? " (it is \(kind))" : ""))
        }
        return UInt32(st.st_mode) & 0o7777
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func whom(_ mode: UInt32, mask: UInt32) -> String {
        let group = mode & mask & 0o070 != 0
        let other = mode & mask & 0o007 != 0
        switch (group, other) {
        case (true, true): return "group and others"
        case (true, false): return "its group"
        default: return "others"
        }
    }

    /// The path as a shell word: unchanged when it is plain, else single-quoted.
    static func shellQuoted(_ path: String) -> String {
        let plain = path.unicodeScalars.allSatisfy { c in
            TOMLPath.isBareKeyByte(c.value) || c == "/" || c == "." || c == "+" || c == "," || c == ":" || c == "@"
        }
        if plain && !path.isEmpty { return path }
        return "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
