import Foundation
import TestFixtures
import XCTest

/// A workspace plus a real sshd serving its remote folders: the binary's view of remotes.
struct RemoteSetup {
    let ws: Workspace
    let sshd: SSHServer
    let key: AgeKey

    static func make(for test: XCTestCase, _ label: String) throws -> RemoteSetup {
        let ws = try Workspace.make(for: test, label)
        let sshd = try SSHServer()  // started
        test.addTeardownBlock { sshd.tearDown() }
        return RemoteSetup(ws: ws, sshd: sshd, key: try AgeKey.generate(ws.path("key.txt")))
    }

    /// A `[[remotes]]` table named `name`, stored under `<sshd remote root>/<name>`.
    func remote(
        _ name: String, knownHosts: String? = nil, identity: String? = nil, pin: String? = nil,
        retries: Int = 0, retryDelay: Double = 0.2
    ) -> String {
        let check = pin.map { "host_key_sha256 = \(toml($0))" } ?? "known_hosts = \(toml(knownHosts ?? sshd.knownHosts))"
        return """
            [[remotes]]
            name = \(toml(name))
            url = \(toml(sshd.url + "/" + name))
            identity_file = \(toml(identity ?? sshd.clientKey))
            \(check)
            retries = \(retries)
            retry_delay = \(retryDelay)

            """
    }

    /// An encrypted config: `remotes` tables, `retention` (TOML body, may be empty), one command
    /// job `db` that dumps `source` and uploads to `jobRemotes`.
    func writeConfig(remotes: [String], jobRemotes: [String], source: String, retention: String = "") throws {
        var text = ws.header(recipients: [key.recipient])
        if !retention.isEmpty { text += "\n[retention]\n\(retention)\n" }
        text += "\n" + remotes.joined(separator: "\n") + "\n"
        text += Workspace.commandJob("db", ["cat", source], extra: "remotes = \(toml(jobRemotes))")
        try ws.writeRawConfig(text)
    }

    /// The files of job `db` on a remote, by name (`.partial` ones included).
    func remoteFiles(_ remote: String) -> [String] {
        Files.list(remoteJobDir(remote)).sorted()
    }

    func remoteJobDir(_ remote: String) -> String { sshd.remoteRoot + "/" + remote + "/db" }

    /// Snapshot ids with a manifest on a remote.
    func remoteSnapshotIDs(_ remote: String) -> [String] {
        remoteFiles(remote).filter { $0.hasSuffix(".manifest.json") }.map { String($0.dropLast(".manifest.json".count)) }
    }

    func pendingIDs(_ remote: String) -> [String] {
        Files.list(ws.stateDir + "/pending/" + remote).sorted()
    }

    /// Asserts that a remote holds exactly the local snapshot's artifact and manifest, byte for byte.
    func assertRemoteCopy(_ remote: String, _ id: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let artifact = try ws.artifactPath("db", id)
        let name = URL(fileURLWithPath: artifact).lastPathComponent
        let remoteArtifact = remoteJobDir(remote) + "/" + name
        XCTAssertEqual(try Files.sha256(remoteArtifact), try Files.sha256(artifact), "\(remote): artifact \(name) differs", file: file, line: line)
        XCTAssertEqual(try Files.read(remoteJobDir(remote) + "/\(id).manifest.json"), try Files.read(ws.manifestPath("db", id)),
                       "\(remote): manifest of \(id) differs", file: file, line: line)
    }
}
