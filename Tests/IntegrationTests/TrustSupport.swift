import Foundation
import XCTest

/// A backup server with `[signing]` uploading to a real sshd ("geo"), and a disaster-recovery
/// host's config (`dr.toml`: its own empty local folder and state, `[trust]`, the same remote
/// and job) that verifies, restores and drills from the remote.
struct TrustSetup {
    let remote: RemoteSetup
    var ws: Workspace { remote.ws }
    let signingKey: String
    let publicLine: String
    let allowedSigners: String
    static let principal = "backup@respaldo"

    static func make(for test: XCTestCase, _ label: String, serverEncrypts: Bool = true, jobs: [String] = ["db"]) throws -> TrustSetup {
        let remote = try RemoteSetup.make(for: test, label)
        let ws = remote.ws
        let signingKey = ws.path("signing.key")
        let keygen = try ws.respaldo("keygen", "--signing", "--output", signingKey)
        try requireExit(keygen, 0, "keygen --signing")
        let publicLine = keygen.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let allowedSigners = ws.path("allowed_signers")
        try Files.write(allowedSigners, "\(principal) \(publicLine)\n", mode: 0o644)
        let setup = TrustSetup(remote: remote, signingKey: signingKey, publicLine: publicLine, allowedSigners: allowedSigners)
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 50_000, lines: 5_000)
        try setup.writeServerConfig(encrypts: serverEncrypts, jobs: jobs, source: source)
        try setup.writeDRConfig(jobs: jobs)
        return setup
    }

    func jobTables(_ jobs: [String], source: String, drill: Bool) -> String {
        jobs.map { job in
            Workspace.commandJob(job, ["cat", source], extra: """
                remotes = ["geo"]
                [jobs.drill]
                restore_command = ["sh", "-c", "cat > /dev/null"]
                \(drill ? "identity_file = \(toml(remote.key.identityPath))" : "")
                """)
        }.joined(separator: "\n")
    }

    var trustTable: String {
        """

        [trust]
        signers_file = \(toml(allowedSigners))
        max_age = "36h"

        """
    }

    /// The backup server: signs, and trusts its own key for its local folder.
    func writeServerConfig(encrypts: Bool = true, jobs: [String] = ["db"], source: String) throws {
        var text = ws.header(recipients: encrypts ? [remote.key.recipient] : nil)
        text += "\n[signing]\nkey_file = \(toml(signingKey))\n" + trustTable
        text += "\n" + remote.remote("geo") + "\n" + jobTables(jobs, source: source, drill: false)
        try ws.writeRawConfig(text)
    }

    var drConfig: String { ws.path("dr.toml") }

    func writeDRConfig(jobs: [String] = ["db"]) throws {
        for dir in ["dr-backups", "dr-state"] where !Files.exists(ws.path(dir)) {
            try FileManager.default.createDirectory(atPath: ws.path(dir), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        }
        var text = """
            local_dir = \(toml(ws.path("dr-backups")))
            state_dir = \(toml(ws.path("dr-state")))

            [encryption]
            recipients = [\(toml(remote.key.recipient))]

            """
        text += trustTable + "\n" + remote.remote("geo") + "\n" + jobTables(jobs, source: "/nonexistent", drill: true)
        try Files.write(drConfig, text, mode: 0o600)
    }

    /// `respaldo <command>` on the DR host.
    func dr(_ command: String, _ args: String...) throws -> ProcessResult {
        try Subprocess.run(Respaldo.argv(command, config: drConfig, args), environment: Respaldo.environment(home: ws.root), timeout: 120)
    }

    func remotePath(_ name: String, job: String = "db") -> String { remote.sshd.remoteRoot + "/geo/\(job)/" + name }

    /// Every way the DR host reads the remote refuses it (exit 1) with a message containing
    /// `expected` and naming `subject` (a snapshot id or a job).
    func assertRefused(_ expected: String, naming subject: String, restoreID: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        var runs = [
            ("list", try dr("list", "--remote", "geo")),
            ("verify", try dr("verify", "--all", "--remote", "geo")),
            ("drill", try dr("drill", "db", "--remote", "geo")),
        ]
        if let restoreID {
            runs.append(("restore", try dr("restore", restoreID, "--remote", "geo", "--identity", remote.key.identityPath, "--output", ws.path("restored-\(UUID().uuidString)"))))
        }
        for (name, r) in runs {
            if ProcessInfo.processInfo.environment["RESPALDO_IT_SHOW"] == "1" { print("--- \(name): exit \(r.exitCode)\n\(r.stderrText)") }
            XCTAssertEqual(r.exitCode, 1, "\(name) must fail: \(r.summary)", file: file, line: line)
            XCTAssertTrue(r.output.contains(expected), "\(name) must say \"\(expected)\": \(r.summary)", file: file, line: line)
            XCTAssertTrue(r.output.contains(subject), "\(name) must name \(subject): \(r.summary)", file: file, line: line)
        }
    }

    /// Signs `path` with the backup server's key using stock OpenSSH (an attacker who stole the
    /// key, or a test that needs a signed but wrong manifest).
    func signWithSSHKeygen(_ path: String, namespace: String = "respaldo-manifest") throws {
        try? FileManager.default.removeItem(atPath: path + ".sig")
        try Subprocess.checked(["ssh-keygen", "-q", "-Y", "sign", "-f", signingKey, "-n", namespace, path])
    }

    /// `ssh-keygen -Y verify` of `path` against its `.sig`.
    func stockVerify(_ path: String, namespace: String = "respaldo-manifest") throws -> ProcessResult {
        try Subprocess.run(["ssh-keygen", "-Y", "verify", "-f", allowedSigners, "-I", Self.principal, "-n", namespace, "-s", path + ".sig"], stdinPath: path)
    }

    /// Edits a JSON file's top-level object.
    func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
        guard var object = try JSONSerialization.jsonObject(with: try Files.read(path)) as? [String: Any] else {
            throw TestFailure("\(path) is not a JSON object")
        }
        edit(&object)
        try Files.write(path, try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), mode: 0o644)
    }
}
