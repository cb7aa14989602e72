/// Store failures. Each names the location, the operation and the file.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// A system call failed: `operation` on `path`, with errno's text.
    case io(location: String, operation: String, path: String, errno: Int32)
    case notFound(location: String, name: String)
    case sizeMismatch(location: String, name: String, expected: Int64, actual: Int64)
    case invalidName(String)
    case tooLarge(location: String, name: String, limit: Int)

    public var description: String {
        switch self {
        case let .io(location, operation, path, code):
            "\(location): \(operation) \(path): \(errnoText(code))"
        case let .notFound(location, name):
            "\(location): \(name): no such file"
        case let .sizeMismatch(location, name, expected, actual):
            "\(location): \(name): expected \(expected) bytes, got \(actual)"
        case let .invalidName(name):
            "invalid stored file name \"\(name)\""
        case let .tooLarge(location, name, limit):
            "\(location): \(name) is larger than \(limit) bytes"
        }
    }

    /// True for a disk-full condition, worth telling apart in messages.
    public var isNoSpace: Bool {
        if case let .io(_, _, _, code) = self { return code == 28 }  // ENOSPC
        return false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
