import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The user the daemon runs as, and what it may read and write: decided from owners, mode
/// bits and POSIX ACLs along the whole path, as the kernel will decide when the daemon opens
/// the file at 01:00. `check-config` asks it for every file the configuration names, so that a
/// root-owned 0600 key that root can read (and the service user cannot) is caught at once,
/// whoever runs the check.
public struct ServiceUser: Sendable, Equatable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t
    /// Every group the user is in, its primary group included.
    public let groups: [gid_t]

    public enum Need: Sendable {
        case read
        /// Create and remove files in a folder.
        case writeFolder
    }

    public static func named(_ name: String) -> ServiceUser? {
        guard let entry = getpwnam(name) else { return nil }
        return make(entry.pointee)
    }

    public static func withID(_ uid: uid_t) -> ServiceUser? {
        guard let entry = getpwuid(uid) else { return nil }
        return make(entry.pointee)
    }

    /// The service user of `config`: the owner of its state_dir (the daemon must own it), or
    /// the user running this process when state_dir does not exist yet.
    public static func of(_ config: Config) -> ServiceUser? {
        var st = stat()
        if stat(config.stateDir, &st) == 0 { return withID(st.st_uid) }
        return withID(geteuid())
    }

    private static func make(_ entry: passwd) -> ServiceUser {
        let name = String(cString: entry.pw_name)
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(entry.pw_name, entry.pw_gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(entry.pw_name, entry.pw_gid, &groups, &count)
        }
        return ServiceUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid, groups: Array(groups.prefix(Int(max(count, 0)))))
    }

    var groupName: String {
        guard let entry = getgrgid(gid) else { return String(gid) }
        return String(cString: entry.pointee.gr_name)
    }

    /// Why this user cannot `need` `path`, with the command that fixes it; nil when it can
    /// (or when the path does not exist: that is reported elsewhere).
    public func problem(_ need: Need, path: String, isSecret: Bool = false) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        let real = String(cString: resolved)
        free(resolved)
        // Every folder on the way must let the user through.
        var folder = ""
        for component in real.split(separator: "/").dropLast() {
            folder += "/" + component
            guard let st = status(folder) else { return nil }
            if !allows(st, path: folder, bits: 0o1) {
                return "the folder \(folder) (owner \(owner(st)), mode \(FileSecurity.octal(UInt32(st.st_mode) & 0o7777))) does not let \(name) through; "
                    + "run chgrp \(groupName) \(FileSecurity.shellQuoted(folder)) && chmod g+x \(FileSecurity.shellQuoted(folder))"
            }
        }
        guard let st = status(real) else { return nil }
        let mode = FileSecurity.octal(UInt32(st.st_mode) & 0o7777)
        switch need {
        case .read:
            guard !allows(st, path: real, bits: 0o4) else { return nil }
            let fix = isSecret
                ? "chown \(name) \(FileSecurity.shellQuoted(path)) (a secret stays mode 0600, its owner the only reader)"
                : "chgrp \(groupName) \(FileSecurity.shellQuoted(path)) && chmod g+r \(FileSecurity.shellQuoted(path))"
            return "not readable by \(name) (owner \(owner(st)), mode \(mode)); run \(fix)"
        case .writeFolder:
            guard !allows(st, path: real, bits: 0o3) else { return nil }
            return "not writable by \(name) (owner \(owner(st)), mode \(mode)); run chown \(name) \(FileSecurity.shellQuoted(path))"
        }
    }

    private func status(_ path: String) -> stat? {
        var st = stat()
        return stat(path, &st) == 0 ? st : nil
    }

    private func owner(_ st: stat) -> String {
        let user = getpwuid(st.st_uid).map { String(cString: $0.pointee.pw_name) } ?? String(st.st_uid)
        let group = getgrgid(st.st_gid).map { String(cString: $0.pointee.gr_name) } ?? String(st.st_gid)
        return "\(user):\(group)"
    }

    /// Whether the permission `bits` (4 read, 2 write, 1 execute/search) are granted, by the
    /// POSIX.1e ACL algorithm when the file has an ACL, else by the mode's owner, group or
    /// other bits.
    private func allows(_ st: stat, path: String, bits: UInt16) -> Bool {
        let mode = UInt16(st.st_mode & 0o777)
        if uid == 0 {
            // root reads and writes anything; it searches folders and runs files with an x bit.
            let isFolder = (st.st_mode & S_IFMT) == S_IFDIR
            return bits & 0o1 == 0 || isFolder || mode & 0o111 != 0
        }
        guard let acl = AccessControlList.read(path) else {
            let granted = st.st_uid == uid ? mode >> 6 : groups.contains(st.st_gid) ? (mode >> 3) & 0o7 : mode & 0o7
            return granted & bits == bits
        }
        return acl.grants(bits, uid: uid, groups: groups, owner: st.st_uid, group: st.st_gid)
    }
}

/// A file's POSIX access ACL (`system.posix_acl_access`), as setfacl writes it.
struct AccessControlList {
    struct Entry {
        var tag: UInt16
        var permissions: UInt16
        var id: UInt32
    }

    static let userObject: UInt16 = 0x01, user: UInt16 = 0x02, groupObject: UInt16 = 0x04
    static let group: UInt16 = 0x08, mask: UInt16 = 0x10, other: UInt16 = 0x20

    var entries: [Entry]

    /// The ACL of `path`, or nil when it has none beyond its mode.
    static func read(_ path: String) -> AccessControlList? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let size = buffer.withUnsafeMutableBytes { getxattr(path, "system.posix_acl_access", $0.baseAddress, $0.count) }
        // Version 2 header (4 bytes), then 8-byte entries, little-endian.
        guard size >= 4, (size - 4) % 8 == 0, buffer[0] == 2 else { return nil }
        var entries: [Entry] = []
        var offset = 4
        while offset + 8 <= size {
            func u16(_ at: Int) -> UInt16 { UInt16(buffer[at]) | UInt16(buffer[at + 1]) << 8 }
            let id = UInt32(u16(offset + 4)) | UInt32(u16(offset + 6)) << 16
            entries.append(Entry(tag: u16(offset), permissions: u16(offset + 2), id: id))
            offset += 8
        }
        return AccessControlList(entries: entries)
    }

    func grants(_ bits: UInt16, uid: uid_t, groups: [gid_t], owner: uid_t, group: gid_t) -> Bool {
        func entries(_ tag: UInt16) -> [Entry] { self.entries.filter { $0.tag == tag } }
        let mask = entries(Self.mask).first?.permissions ?? 0o7
        if uid == owner { return (entries(Self.userObject).first?.permissions ?? 0) & bits == bits }
        if let named = entries(Self.user).first(where: { $0.id == uid }) { return named.permissions & mask & bits == bits }
        var matched = false
        for entry in entries(Self.groupObject) + entries(Self.group) {
            let gid = entry.tag == Self.groupObject ? group : gid_t(entry.id)
            guard groups.contains(gid) else { continue }
            matched = true
            if entry.permissions & mask & bits == bits { return true }
        }
        if matched { return false }
        return (entries(Self.other).first?.permissions ?? 0) & bits == bits
    }
}
