#if canImport(Glibc)
import Glibc
#endif

/// Failures of a dump source. Each names the tool and what it did.
public enum SourceError: Error, CustomStringConvertible {
    case spawn(String, Int32)
    case failed(tool: String, termination: String, stderrTail: String)
    case empty(tool: String)
    case read(tool: String, Int32)
    case tooSmall(job: String, bytes: Int64, minimum: Int64)
    case shrank(job: String, bytes: Int64, previous: Int64, previousID: String, maxShrink: Double)
    case secretFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .spawn(tool, code):
            "cannot start \(tool): \(String(cString: strerror(code)))"
        case let .failed(tool, termination, tail):
            "\(tool) failed (\(termination))" + (tail.isEmpty ? "" : ": \(tail)")
        case let .empty(tool):
            "\(tool) wrote no output: an empty dump is never a backup"
        case let .read(tool, code):
            "reading the output of \(tool): \(String(cString: strerror(code)))"
        case let .tooSmall(job, bytes, minimum):
            "job \(job): the dump is \(formatBytes(bytes)), less than min_bytes = \(minimum) (\(formatBytes(minimum)))"
        case let .shrank(job, bytes, previous, previousID, maxShrink):
            "job \(job): the dump is \(formatBytes(bytes)), \(percent(bytes, of: previous)) of the previous snapshot's \(formatBytes(previous)) (\(previousID)), "
                + "less than max_shrink = \(maxShrink) allows; if the data really shrank, run `respaldo backup \(job) --accept-shrink` once"
        case let .secretFile(path, reason):
            "password file \(path): \(reason)"
        }
    }
}

/// "12%", "0.4%": how much of `whole` `part` is, to the digit that matters.
private func percent(_ part: Int64, of whole: Int64) -> String {
    guard whole > 0 else { return "?" }
    let value = Double(part) * 100 / Double(whole)
    return value < 1 ? String(format: "%.1f%%", value) : String(format: "%.0f%%", value)
}
