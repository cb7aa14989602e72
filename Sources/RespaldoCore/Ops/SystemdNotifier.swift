import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a message to the service manager could not be sent.
public enum SystemdNotifyError: Error, CustomStringConvertible, Equatable {
    /// NOTIFY_SOCKET is neither an absolute path nor an `@abstract` name, or is too long.
    case invalidSocketAddress(String)
    /// A system call failed; `operation` names it and `socket` is NOTIFY_SOCKET.
    case system(operation: String, socket: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidSocketAddress(address):
            "cannot notify systemd: NOTIFY_SOCKET \"\(address)\" is not an absolute path or @abstract name that fits in a socket address"
        case let .system(operation, socket, code):
            "cannot notify systemd: \(operation) on NOTIFY_SOCKET \(socket) failed: \(String(cString: strerror(code)))"
        }
    }
}

/// The sd_notify protocol without libsystemd: newline-separated `KEY=VALUE` assignments in one
/// datagram to the AF_UNIX socket named by NOTIFY_SOCKET. Without NOTIFY_SOCKET (not started by
/// systemd, or `Type=` other than notify) every method does nothing.
///
/// Each message opens, sends on and closes its own socket, so the value holds no mutable state
/// and is safe to use from any thread (the watchdog thread and the daemon loop at once).
public struct SystemdNotifier: Sendable {
    /// NOTIFY_SOCKET as given: an absolute path, or `@name` for the abstract namespace.
    public let socket: String?
    /// Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) recommends; nil when systemd expects no
    /// pings (no WatchdogSec=, or WATCHDOG_PID names another process).
    public let watchdogInterval: Duration?

    public var isEnabled: Bool { socket != nil }

    /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, pid: pid_t = getpid()) {
        let socket = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        self.socket = socket
        self.watchdogInterval = Self.watchdogInterval(environment: environment, pid: pid)
    }

    /// The notifier for this process. With `unsetEnvironment`, NOTIFY_SOCKET, WATCHDOG_USEC and
    /// WATCHDOG_PID are removed so that dump tools and other children never see them (as
    /// sd_notify's `unset_environment` does). unsetenv is not thread-safe: call this at startup,
    /// before other threads run.
    public static func forCurrentProcess(unsetEnvironment: Bool = true) -> SystemdNotifier {
        let notifier = SystemdNotifier()
        if unsetEnvironment {
            for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) }
        }
        return notifier
    }

    static func watchdogInterval(environment: [String: String], pid: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        // WATCHDOG_PID guards against a child that inherited the variables: only the process
        // systemd meant may ping.
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty, pid_t(owner) != pid { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }

    /// READY=1: startup is complete (the configuration is loaded), or a reload has finished.
    public func ready(status: String? = nil) throws {
        try send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// STATUS=: a free-form line that `systemctl status` shows.
    public func status(_ text: String) throws {
        try send(["STATUS=" + Self.oneLine(text)])
    }

    /// WATCHDOG=1: the service is alive.
    public func watchdog() throws {
        try send(["WATCHDOG=1"])
    }

    /// RELOADING=1 with MONOTONIC_USEC, which systemd 253 and later require to match the reload
    /// to its READY=1. Send `ready()` when the reload is done.
    public func reloading(status: String? = nil) throws {
        var fields = ["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"]
        if let status { fields.append("STATUS=" + Self.oneLine(status)) }
        try send(fields)
    }

    /// STOPPING=1: shutdown has begun.
    public func stopping(status: String? = nil) throws {
        try send(["STOPPING=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// Sends the assignments in one datagram; does nothing without NOTIFY_SOCKET.
    public func send(_ assignments: [String]) throws {
        guard let socket else { return }
        let message = Array(assignments.joined(separator: "\n").utf8)
        try withSocketAddress(socket) { address, length in
            let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SystemdNotifyError.system(operation: "socket", socket: socket, errno: errno) }
            defer { close(fd) }
            var sent: Int
            // MSG_DONTWAIT: a listener that stopped reading must never stall the scheduler;
            // the message is dropped with EAGAIN instead.
            repeat {
                sent = message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), address, length)
                }
            } while sent < 0 && errno == EINTR
            guard sent == message.count else {
                throw SystemdNotifyError.system(operation: "sendto", socket: socket, errno: sent < 0 ? errno : EMSGSIZE)
            }
        }
    }

    /// A newline would end the assignment early and start a bogus one.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// Builds the sockaddr_un for `socket`: a path (NUL-terminated) or `@name`, whose leading
    /// NUL marks the abstract namespace and whose length excludes any terminator.
    private func withSocketAddress<T>(
        _ socket: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T
    ) throws -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socket.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        guard abstract || bytes.first == UInt8(ascii: "/") else { throw SystemdNotifyError.invalidSocketAddress(socket) }
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count + (abstract ? 0 : 1) <= capacity, bytes.count > 1 else {
            throw SystemdNotifyError.invalidSocketAddress(socket)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path.copyBytes(from: bytes)
        }
        let length = socklen_t((MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2) + bytes.count + (abstract ? 0 : 1))
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }
}
