import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds and runs the built `respaldo` executable.
enum Respaldo {
    /// The binary: $RESPALDO_BIN, else `respaldo` beside the test bundle (the same build
    /// products directory), else `<package root>/.build/debug/respaldo`.
    static func binary() throws -> String {
        try located.get()
    }

    private static let located: Result<String, TestFailure> = {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["RESPALDO_BIN"], !env.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: env) else {
                return .failure(TestFailure("RESPALDO_BIN=\(env) is not an executable file"))
            }
            return .success(env)
        }
        if let exe = Bundle.main.executableURL {
            candidates.append(exe.deletingLastPathComponent().appendingPathComponent("respaldo").path)
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("respaldo").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("respaldo").path)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/respaldo").path)
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0).inserted }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c, isDirectory: &isDir), !isDir.boolValue { return .success(c) }
        }
        return .failure(TestFailure(
            "the respaldo binary was not found (looked at \(candidates.joined(separator: ", "))): "
                + "build it first (`swift build --build-tests`, as scripts/test.sh does) or set RESPALDO_BIN"))
    }()

    /// `respaldo <command> --config <config> <args...>`.
    static func argv(_ command: String, config: String?, _ args: [String]) throws -> [String] {
        var argv = [try binary(), command]
        if let config { argv += ["--config", config] }
        return argv + args
    }

    /// The environment for respaldo: nothing inherited that could change its behaviour
    /// (a default config, journald mode, libpq credentials), HOME in the workspace.
    static func environment(home: String) -> [String: String?] {
        var env: [String: String?] = ["HOME": home, "RESPALDO_CONFIG": nil, "JOURNAL_STREAM": nil, "NOTIFY_SOCKET": nil]
        for key in ["PGPASSWORD", "PGPASSFILE", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGSERVICEFILE"] {
            env[key] = .some(nil)
        }
        return env
    }
}

/// An age X25519 identity made by the stock `age-keygen`.
struct AgeKey: Sendable {
    let identityPath: String
    let recipient: String

    static func generate(_ path: String) throws -> AgeKey {
        try Tools.require("age-keygen", package: "age")
        try Subprocess.checked(["age-keygen", "-o", path])
        _ = chmod(path, 0o600)
        let r = try Subprocess.checked(["age-keygen", "-y", path])
        let recipient = r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard recipient.hasPrefix("age1") else { throw TestFailure("age-keygen -y printed no recipient: \(r.summary)") }
        return AgeKey(identityPath: path, recipient: recipient)
    }
}
