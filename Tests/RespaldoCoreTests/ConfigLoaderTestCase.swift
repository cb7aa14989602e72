import Foundation
import XCTest

@testable import RespaldoCore

/// What the ConfigLoader*Tests share: a folder of files with the right modes, and assertions
/// on the error a text gives.
class ConfigLoaderTestCase: XCTestCase {
    /// Valid age X25519 recipients (bech32 "age" of 32 bytes).
    static let recipientA = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    static let recipientB = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
    static let recipientC = "age1qgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpquuzgag"
    /// github.com's ed25519 host key fingerprint (43 base64 characters).
    static let fingerprint = "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"

    var dir: URL!
    /// Files with the right modes: an SSH key (0600), known_hosts (0644), a password (0600),
    /// a recipients file (0644), a passphrase (0600).
    var key = "", knownHosts = "", password = "", recipientsFile = "", passphrase = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        key = try write("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n", mode: 0o600)
        knownHosts = try write("known_hosts", "server.example.com ssh-ed25519 AAAA\n", mode: 0o644)
        password = try write("crm.password", "s3cret\n", mode: 0o600)
        recipientsFile = try write(
            "recipients.txt", "# ops team\n\n\(Self.recipientB)\r\n\(Self.recipientC)\n", mode: 0o644)
        passphrase = try write("passphrase", "correct horse battery staple\n", mode: 0o600)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    @discardableResult
    func write(_ name: String, _ contents: String, mode: Int) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Parses `text` as `respaldo.toml` and returns the error's description (fails if none).
    func parseError(
        _ text: String, checkFiles: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) -> ConfigError? {
        do {
            _ = try Config.parse(text: text, path: "/etc/respaldo/respaldo.toml", checkFiles: checkFiles)
            XCTFail("expected a ConfigError", file: file, line: line)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("expected a ConfigError, got \(error)", file: file, line: line)
            return nil
        }
    }

    /// Asserts that parsing fails with this kind and that the message contains every fragment.
    func assertError(
        _ text: String, _ kind: ConfigError.Kind, _ fragments: String..., checkFiles: Bool = true,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let error = parseError(text, checkFiles: checkFiles, file: file, line: line) else { return }
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(
                error.description.contains(fragment), "\"\(error)\" does not contain \"\(fragment)\"", file: file,
                line: line)
        }
    }

    static let head = """
        local_dir = "/var/backups/respaldo"
        state_dir = "/var/lib/respaldo"

        """

    /// A valid remote "geo" at lines 3-7 after `head`.
    var remote: String {
        """
        [[remotes]]
        name = "geo"
        url = "sftp://backup@server.example.com:22/srv/respaldo"
        identity_file = "\(key)"
        known_hosts = "\(knownHosts)"

        """
    }
}
