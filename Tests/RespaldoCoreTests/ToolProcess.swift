import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a tool run by `runTool`.
struct ToolResult {
    var argv: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var summary: String { "`\(argv.joined(separator: " "))` exited \(status)\(timedOut ? " after timing out" : "")\n--- stdout ---\n\(stdout.prefix(4000))\n--- stderr ---\n\(stderr.prefix(4000))" }
}

/// Runs `argv` with posix_spawn (Foundation's Process can hang on children that close
/// inherited descriptors), stdin from `stdinPath`, output to temporary files, and kills it by
/// PID after `timeout` seconds.
func runTool(
    _ argv: [String], stdinPath: String = "/dev/null", environment: [String: String] = [:], timeout: TimeInterval = 60
) throws -> ToolResult {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-tool-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let outPath = folder + "/stdout", errPath = folder + "/stderr"

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    let cArgv = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArgv.forEach { free($0) }
        cEnv.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgv, cEnv)
    guard rc == 0 else { throw ToolError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }

    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    var timedOut = false
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r < 0 && errno != EINTR { break }
        if Date() > deadline {
            timedOut = true
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            break
        }
        usleep(10_000)
    }
    let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return ToolResult(argv: argv, status: exitStatus, stdout: out, stderr: err, timedOut: timedOut)
}

struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
