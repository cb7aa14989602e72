import Foundation
import XCTest

/// Scenario 12: `respaldo keygen` writes an age-keygen-format identity (0600), prints its
/// recipient, and the stock `age` tool works with both; it never overwrites a file.
final class KeygenTests: XCTestCase {
    private let recipientPattern = #"age1[02-9ac-hj-np-z]{58}"#

    func testKeygenInteroperatesWithAge() throws {
        try Tools.require("age", package: "age")
        let ws = try Workspace.make(for: self, "keygen")
        let keyPath = ws.path("key.txt")
        let r = try Subprocess.run(Respaldo.argv("keygen", config: nil, ["--output", keyPath]), environment: Respaldo.environment(home: ws.root))
        try requireExit(r, 0, "keygen --output (needs no config)")
        guard let range = r.stdoutText.range(of: recipientPattern, options: .regularExpression) else {
            return XCTFail("keygen must print an age1 recipient on stdout\n\(r.summary)")
        }
        let recipient = String(r.stdoutText[range])
        XCTAssertFalse(r.stdoutText.contains("AGE-SECRET-KEY-"), "the secret key must not be printed when written to a file")

        XCTAssertEqual(try Files.mode(keyPath), 0o600, "identity file mode")
        let text = String(decoding: try Files.read(keyPath), as: UTF8.self)
        XCTAssertTrue(text.split(separator: "\n").contains { matches(String($0), "^AGE-SECRET-KEY-1[0-9A-Z]{58}$") }, "age-keygen format: \(text)")
        XCTAssertTrue(text.contains("# public key: \(recipient)"), "age-keygen format has the `# public key:` comment: \(text)")

        let derived = try Subprocess.checked(["age-keygen", "-y", keyPath]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(derived, recipient, "age-keygen -y derives the printed recipient")

        let plain = ws.path("plain.txt")
        try Files.write(plain, "attack at dawn\n" + String(repeating: "x", count: 100_000))
        let rt = try Subprocess.bash("age -e -r \(recipient) \(shellQuote(plain)) | age -d -i \(shellQuote(keyPath)) > \(shellQuote(ws.path("rt.txt")))")
        assertExit(rt, 0, "age -e -r <recipient> | age -d -i <identity>")
        try assertSameBytes(ws.path("rt.txt"), plain, "age round trip")

        // And respaldo's own encryption to that recipient decrypts with the identity.
        try ws.writeConfig(recipients: [recipient], Workspace.commandJob("k", ["seq", "1", "1000"]))
        let id = try ws.backup("k")
        assertExit(try ws.respaldo("verify", id, "--identity", keyPath), 0, "verify with the keygen identity")
        let stock = try Subprocess.bash("age -d -i \(shellQuote(keyPath)) \(shellQuote(try ws.artifactPath("k", id))) | gunzip | tail -n 1")
        assertExit(stock, 0)
        XCTAssertEqual(stock.stdoutText, "1000\n")
    }

    func testKeygenRefusesToOverwrite() throws {
        let ws = try Workspace.make(for: self, "keygen")
        let keyPath = ws.path("key.txt")
        try Files.write(keyPath, "precious\n")
        let r = try Subprocess.run(Respaldo.argv("keygen", config: nil, ["--output", keyPath]), environment: Respaldo.environment(home: ws.root))
        XCTAssertNotEqual(r.exitCode, 0, "keygen must refuse an existing file\n\(r.summary)")
        XCTAssertEqual(String(decoding: try Files.read(keyPath), as: UTF8.self), "precious\n", "the existing file is untouched")
        XCTAssertTrue(r.output.contains(keyPath), "the message names the file\n\(r.summary)")
    }

    /// DESIGN.md: every command takes `--config PATH`, keygen included (it needs none).
    func testKeygenAcceptsConfigOption() throws {
        let ws = try Workspace.make(for: self, "keygen")
        try ws.writeConfig(Workspace.commandJob("k", ["echo", "x"]))
        let r = try ws.respaldo("keygen", "--output", ws.path("k.txt"))
        assertExit(r, 0, "keygen --config PATH --output FILE")
        XCTAssertTrue(Files.exists(ws.path("k.txt")))
    }
}
