import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A command must run as the user that owns `state_dir`. Run as anyone else it would leave
/// files (run state, pending markers, locks, the audit log) that the owner — the service —
/// can then no longer read or replace: the one `backup` as root after which the
/// service's `status` failed and its runs went unrecorded. So the command stops before doing
/// anything, and says how to run it instead. Root is no exception: it could write anywhere,
/// which is exactly the harm. A `state_dir` that does not exist yet is made by whoever runs
/// first (the packaged tmpfiles.d snippet makes it for the service user).
public enum StateDirOwner {
    public static func check(_ stateDir: String, euid: uid_t = geteuid(), command: [String] = CommandLine.arguments) throws {
        var st = stat()
        guard lstat(stateDir, &st) == 0, st.st_uid != euid else { return }
        let owner = userName(st.st_uid)
        let me = userName(euid)
        let retry = (["respaldo"] + command.dropFirst()).map(FileSecurity.shellQuoted).joined(separator: " ")
        throw ConfigError(
            kind: .wrongUser, file: stateDir,
            message: "state_dir belongs to \(owner) (uid \(st.st_uid)), but this command runs as \(me) (uid \(euid)); "
                + "what it wrote there would be \(me)'s and \(owner) could no longer use it. Run it as \(owner): sudo -u \(owner) \(retry)")
    }

    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
        return String(cString: name)
    }
}
