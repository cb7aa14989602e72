#if canImport(Glibc)
import Glibc
#endif

/// Failures of a drill's steps and of row counting. Each names the operation and its object.
public enum DrillError: Error, CustomStringConvertible {
    /// A client tool (psql, mariadb, tar, the restore command) failed.
    case tool(String, operation: String, termination: String, stderrTail: String)
    /// A tool answered something that cannot be read.
    case unexpectedOutput(String, operation: String, output: String)
    /// A local file operation failed.
    case io(operation: String, path: String, Int32)
    /// The scratch target could not be removed: something was left behind.
    case cleanup(what: String, reason: String)

    public var description: String {
        switch self {
        case let .tool(tool, operation, termination, tail):
            "\(operation): \(tool) failed (\(termination))" + (tail.isEmpty ? "" : ": \(tail)")
        case let .unexpectedOutput(tool, operation, output):
            "\(operation): unexpected output from \(tool): \(output.prefix(300))"
        case let .io(operation, path, code):
            "\(operation) \(path): \(String(cString: strerror(code)))"
        case let .cleanup(what, reason):
            "\(what) was not removed: \(reason)"
        }
    }
}
