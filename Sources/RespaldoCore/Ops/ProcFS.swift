import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about processes, for telling a process apart from a later one that reuses
/// its pid: a pid names the same process only within one boot and with the same start time.
enum ProcFS {
    /// This boot's random id (`/proc/sys/kernel/random/boot_id`).
    static func bootID() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }

    /// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces and
    /// parentheses, so it is skipped up to its last ')'); index 0 is the state (field 3).
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// When `pid` started, in clock ticks after boot (field 22); nil when there is no such
    /// process or it is a zombie.
    static func startTicks(_ pid: pid_t) -> UInt64? {
        guard let fields = statFields(pid), fields.count > 19, fields[0] != "Z" else { return nil }
        return UInt64(fields[19])
    }

    /// The live processes whose process group is `group` (field 5).
    static func members(ofGroup group: pid_t) -> [pid_t] {
        guard group > 1, let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { pid_t($0) }.filter { pid in
            guard let fields = statFields(pid), fields.count > 2, fields[0] != "Z" else { return false }
            return pid_t(fields[2]) == group
        }
    }
}
