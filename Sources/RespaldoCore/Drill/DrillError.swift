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
    /// A line filter found a client command in the dump (`kind`: "psql meta-command", "client
    /// command") and stopped the load before the client saw the line.
    case clientCommandInDump(kind: String, line: Int, excerpt: String)
    /// The client itself refused a command of the dump (`by`: psql's restricted mode, the
    /// mariadb client's sandbox mode); `line` when the client named it.
    case clientCommandRefused(tool: String, by: String, line: Int?, message: String)
    /// The loader cannot be kept from running the dump's client commands, so it is not run.
    case unsafeLoader(String, reason: String)
    /// The drill's role lacks what the restore needs (creating the scratch database, taking
    /// the dump's owners); `fix` names what to change, in the database or the configuration.
    case privilege(operation: String, problem: String, fix: String)

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
        case let .clientCommandInDump(kind, line, excerpt):
            "the dump contains a \(kind) on line \(line) (\(excerpt)): refused; a dump must not run client commands"
        case let .clientCommandRefused(tool, guardName, line, message):
            "the dump tried to run a client command\(line.map { " on line \($0)" } ?? ""), which \(tool)'s \(guardName) refused "
                + "(\(message.prefix(300))); a dump must not run client commands"
        case let .unsafeLoader(tool, reason):
            "\(tool) cannot load the dump safely: \(reason)"
        case let .privilege(operation, problem, fix):
            "\(operation): \(problem); \(fix)"
        }
    }
}
