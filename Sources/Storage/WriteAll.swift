#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A write(2) that failed, with its errno; callers name the file or stream in their own error.
public struct WriteFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var errno: Int32

    public init(errno: Int32) {
        self.errno = errno
    }

    public var description: String { String(cString: strerror(errno)) }
}

/// Writes every byte of `bytes` to `fd`. write(2) may take fewer bytes than asked (a pipe or
/// socket that is full, a signal arriving mid-write) and fails with EINTR when a signal comes
/// before the first byte: neither is an error, and a caller that stopped there would lose the
/// rest. Any other failure is thrown (EPIPE when the reading end is gone).
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(WriteFailure) {
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            throw WriteFailure(errno: errno)
        }
        offset += written
    }
}

public func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(WriteFailure) {
    // withUnsafeBytes rethrows as `any Error`; a Result keeps the thrown type.
    try bytes.withUnsafeBytes { buffer in Result { () throws(WriteFailure) in try writeAll(fd, buffer) } }.get()
}
