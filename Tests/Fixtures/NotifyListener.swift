import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for systemd's notification socket: an AF_UNIX datagram socket bound to a path
/// or an abstract name, as NOTIFY_SOCKET names it.
public final class NotifyListener {
    public let fd: Int32
    /// The NOTIFY_SOCKET value for this listener.
    public let address: String
    private let path: String?

    /// Binds to `<folder>/notify`, or to an abstract name when `folder` is nil.
    public init(folder: String?) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
        var bytes: [UInt8]
        if let folder {
            path = folder + "/notify"
            address = folder + "/notify"
            bytes = Array(address.utf8) + [0]
        } else {
            path = nil
            address = "@respaldo-test-\(getpid())-\(UUID().uuidString.prefix(8))"
            bytes = Array(address.utf8)
            bytes[0] = 0
        }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw FixtureError("bind \(address): \(message)")
        }
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    /// The next datagram, or nil when none arrives within `timeout` seconds.
    public func receive(timeout: TimeInterval) -> String? {
        var pollfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Every datagram that arrives within `seconds`.
    public func drain(for seconds: TimeInterval) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while case let remaining = deadline.timeIntervalSinceNow, remaining > 0 {
            if let message = receive(timeout: remaining) { messages.append(message) }
        }
        return messages
    }
}
