import Foundation
import TestFixtures
import XCTest

/// Add-only SFTP (`append_only = true`) against the README's account recipe: a real
/// unprivileged user forced into `internal-sftp -u 0222 -P remove,posix-rename,…`, with its job
/// folders made in advance. The backup server uploads and never deletes; an admin host with its
/// own key prunes with signed manifests only; the server's key cannot destroy anything.
final class AppendOnlyTests: XCTestCase {
    struct Setup {
        let ws: Workspace
        let sshd: SSHServer
        let key: AgeKey
        let serverPublic: String
        let adminPublic: String
    }

    private func setUp(_ label: String) throws -> Setup {
        let ws = try Workspace.make(for: self, label)
        let sshd = try SSHServer(addOnlyAccount: true)
        addTeardownBlock { sshd.tearDown() }
        let key = try AgeKey.generate(ws.path("key.txt"))
        var publics: [String] = []
        for name in ["server", "admin"] {
            let r = try ws.respaldo("keygen", "--signing", "--output", ws.path("\(name).key"))
            try requireExit(r, 0, "keygen --signing")
            publics.append(r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try Files.write(ws.path("allowed_signers"), "backup@server \(publics[0])\nadmin@vault \(publics[1])\n", mode: 0o644)
        let source = ws.path("original.bin")
        try makeSampleFile(source, randomBytes: 50_000, lines: 5_000)
        let setup = Setup(ws: ws, sshd: sshd, key: key, serverPublic: publics[0], adminPublic: publics[1])
        try ws.writeRawConfig(config(setup, signing: "server.key", url: try XCTUnwrap(sshd.addOnlyURL), identity: try XCTUnwrap(sshd.addOnly?.key),
                                     appendOnly: true, state: ws.stateDir, local: ws.localDir))
        for dir in ["admin-state", "admin-backups"] { try FileManager.default.createDirectory(atPath: ws.path(dir), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700]) }
        try Files.write(ws.path("admin.toml"), config(setup, signing: "admin.key", url: sshd.url + "/addonly", identity: sshd.clientKey,
                                                       appendOnly: false, state: ws.path("admin-state"), local: ws.path("admin-backups")), mode: 0o600)
        return setup
    }

    private func config(_ s: Setup, signing: String, url: String, identity: String, appendOnly: Bool, state: String, local: String) -> String {
        """
        local_dir = \(toml(local))
        state_dir = \(toml(state))

        [encryption]
        recipients = [\(toml(s.key.recipient))]

        [retention]
        keep_last = 1

        [signing]
        key_file = \(toml(s.ws.path(signing)))

        [trust]
        signers_file = \(toml(s.ws.path("allowed_signers")))
        max_age = "36h"

        [[remotes]]
        name = "geo"
        url = \(toml(url))
        identity_file = \(toml(identity))
        known_hosts = \(toml(s.sshd.knownHosts))
        retries = 0
        append_only = \(appendOnly)

        """ + Workspace.commandJob("db", ["cat", s.ws.path("original.bin")], extra: "remotes = [\"geo\"]")
    }

    private func admin(_ s: Setup, _ command: String, _ args: String...) throws -> ProcessResult {
        try Subprocess.run(Respaldo.argv(command, config: s.ws.path("admin.toml"), args), environment: Respaldo.environment(home: s.ws.root))
    }

    private var folder: (Setup) -> String { { $0.sshd.addOnly!.folder + "/db" } }

    func testServerUploadsNeverDeletesAndAnAdminHostPrunesWithSignedManifests() throws {
        let s = try setUp("addonly")
        let connect = try s.ws.respaldo("check-config", "--connect")
        assertExit(connect, 0, "the connection check needs no delete right")
        XCTAssertTrue(connect.stdoutText.contains("append-only"), connect.summary)
        let first = try s.ws.backup("db")
        let second = try s.ws.backup("db")
        let backup = try s.ws.respaldo("prune")
        assertExit(backup, 0, "prune on the server")
        XCTAssertTrue(backup.stdoutLines.contains { matches($0, "^geo +skipped +append_only") }, backup.summary)
        let files = Files.list(folder(s))
        XCTAssertTrue(files.contains("\(first).manifest.json") && files.contains("\(second).manifest.json"), "nothing deleted there: \(files)")
        XCTAssertEqual(try Files.mode(folder(s) + "/\(first).manifest.json") & 0o222, 0, "uploads land read-only (-u 0222)")
        XCTAssertGreaterThanOrEqual(files.filter { $0.hasPrefix("inventory-") && $0.hasSuffix(".json") }.count, 2, "each inventory a new file: \(files)")

        // The admin host prunes with its own key; a forged snapshot is never counted.
        let forged = "db-20300101T000000Z"
        try Files.write(folder(s) + "/\(forged).manifest.json", "{}")
        let prune = try admin(s, "prune", "--remote", "geo")
        assertExit(prune, 0, "prune --remote geo on the admin host")
        XCTAssertTrue(prune.stdoutText.contains("remove  \(first)") && prune.stdoutText.contains("keep    \(second)"), prune.summary)
        XCTAssertFalse(Files.exists(folder(s) + "/\(first).manifest.json"))
        XCTAssertTrue(Files.exists(folder(s) + "/\(forged).manifest.json"), "a forged entry is reported, not acted on")
        try FileManager.default.removeItem(atPath: folder(s) + "/\(forged).manifest.json")
        let verify = try admin(s, "verify", "--all", "--remote", "geo", "--identity", s.key.identityPath)
        assertExit(verify, 0, "after the admin's prune the location verifies (inventory signed by the admin key)")
    }

    /// What ransomware holding the server's SSH key tries; the recipe refuses all of it but
    /// adding files and renaming a file to a new name, which a [trust] verifier reports.
    func testTheServersKeyCannotDeleteOrOverwrite() throws {
        let s = try setUp("addonly-ransom")
        let id = try s.ws.backup("db")
        let artifact = "\(id).dump.gz.age"
        XCTAssertTrue(Files.exists(folder(s) + "/" + artifact), Files.list(folder(s)).joined(separator: ", "))
        let evil = s.ws.path("evil")
        try Files.write(evil, "ransom")
        let refused = [
            "rm db/\(artifact)",
            "rm db/\(id).manifest.json",
            "put \(evil) db/\(artifact)",
            "rename db/\(id).manifest.json.sig db/\(id).manifest.json",
            "chmod 666 db/\(artifact)",
            "rmdir db",
        ]
        for command in refused {
            let r = try sftp(s, command)
            XCTAssertNotEqual(r.exitCode, 0, "\(command) must be refused: \(r.summary)")
        }
        XCTAssertEqual(String(decoding: try Files.read(s.ws.path("backups/db/\(artifact)")), as: UTF8.self),
                       String(decoding: try Files.read(folder(s) + "/" + artifact), as: UTF8.self), "the remote artifact is intact")
        // Allowed by the recipe: adding files (a forged newer inventory, not validly signed)
        // and renaming a finished file to a *new* name. A verifier sees both.
        let forged = s.ws.path("inventory-999999999999.json")
        try Files.write(forged, "{\"format\": \"respaldo-inventory/1\"}")
        try Files.write(forged + ".sig", "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n")
        assertExit(try sftp(s, "put \(forged) db/\nput \(forged).sig db/"), 0, "adding files")
        assertExit(try sftp(s, "rename db/\(id).manifest.json db/hidden.json"), 0, "rename to a new name")
        let verify = try admin(s, "verify", "--all", "--remote", "geo")
        assertExit(verify, 1, "the hidden snapshot is missing from the signed inventory")
        XCTAssertTrue(verify.output.contains("missing"), verify.summary)
        XCTAssertTrue(verify.output.contains("signature check failed for job db at geo: inventory"), "the forged inventory: \(verify.summary)")
    }

    /// One sftp command as the add-only account, in batch mode (any failure is exit 1).
    private func sftp(_ s: Setup, _ command: String) throws -> ProcessResult {
        let batch = s.ws.path("batch-\(UUID().uuidString)")
        try Files.write(batch, command + "\n")
        let account = try XCTUnwrap(s.sshd.addOnly)
        return try Subprocess.run([
            "sftp", "-b", batch, "-i", account.key, "-P", "\(s.sshd.port)", "-o", "UserKnownHostsFile=\(s.sshd.knownHosts)",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "\(account.user)@127.0.0.1:\(account.folder)",
        ], timeout: 30)
    }
}
