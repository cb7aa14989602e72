import Foundation
import XCTest

/// Dump tools get an allow-listed environment (issue 14, item 10): a secret in respaldo's own
/// environment never reaches the dump. A command job `env` dumps what it was given; the
/// snapshot is restored and read.
final class DumpEnvironmentTests: XCTestCase {
    func testDumpSeesOnlyTheAllowListedEnvironment() throws {
        let ws = try Workspace.make(for: self, "dump-env")
        try ws.writeConfig(Workspace.commandJob("env", ["env"]))
        let secret = "respaldo-it-secret-\(UInt32.random(in: 0 ... .max))"
        var environment = Respaldo.environment(home: ws.root)
        for key in ["AWS_SECRET_ACCESS_KEY", "PGPASSWORD", "MYSQL_PWD", "LD_PRELOAD_NOT_REALLY", "RESPALDO_IT_OTHER"] {
            environment[key] = .some(secret)
        }
        environment["TZ"] = .some("Europe/Madrid")
        let r = try Subprocess.run(Respaldo.argv("backup", config: ws.configPath, ["env"]), environment: environment)
        try requireExit(r, 0, "backup of the env job")
        let id = try XCTUnwrap(r.stdoutLines.last)

        let restored = try ws.respaldo("restore", id, "--stdout")
        try requireExit(restored, 0, "restore --stdout")
        let lines = restored.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertFalse(restored.stdoutText.contains(secret), "no variable of respaldo's own reaches the dump:\n\(restored.stdoutText)")
        let names = Set(lines.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        XCTAssertTrue(names.isSubset(of: ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "PWD", "SHLVL", "_"]), "only the allow-list: \(names.sorted())")
        XCTAssertTrue(lines.contains("HOME=\(ws.root)"), "HOME is the service user's: \(lines)")
        XCTAssertTrue(lines.contains("TZ=Europe/Madrid"), "TZ is passed on: \(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("PATH=/") }, "PATH is passed on: \(lines)")
    }
}
