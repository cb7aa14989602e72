import CryptoPrimitives
import Foundation
@testable import SSHSig
import XCTest

/// Hex literal to bytes; traps on malformed test data (a bug in the test, not in the code).
func h(_ hex: String) -> [UInt8] {
    guard let bytes = Hex.decode(hex) else { fatalError("bad hex literal in test: \(hex)") }
    return bytes
}

/// The `SSHSigError` a throwing expression threw; a test failure if it returned or threw
/// another type. (Closures infer untyped `throws`, hence the cast.)
func thrownError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> SSHSigError? {
    do {
        let value = try body()
        XCTFail("expected an error, got \(value)", file: file, line: line)
        return nil
    } catch let error as SSHSigError {
        return error
    } catch {
        XCTFail("expected an SSHSigError, got \(error)", file: file, line: line)
        return nil
    }
}

/// The wire blob inside an armored text, and back, for tests that edit blobs.
func dearmor(_ text: String, label: String) throws -> [UInt8] {
    try SSHArmor.decode(text, label: label, malformed: SSHSigError.malformedSignature)
}

func armor(_ blob: [UInt8], label: String) -> String {
    SSHArmor.encode(blob, label: label)
}

/// The signature fields, to build variants of a valid signature.
struct SignatureFields {
    var magic = Array("SSHSIG".utf8)
    var version: UInt32 = 1
    var publicKey: [UInt8]
    var namespace = "respaldo-manifest"
    var reserved: [UInt8] = []
    var hashAlgorithm = "sha512"
    var signatureType = "ssh-ed25519"
    var signature: [UInt8]
    var trailing: [UInt8] = []

    /// Fields of a correct signature of `message` by `seed`, hashed with `hashAlgorithm`
    /// (built by hand here, so that tests can also make what `SSHSignature.sign` never makes).
    init(message: [UInt8], seed: [UInt8], namespace: String = "respaldo-manifest", hashAlgorithm: String = "sha512") throws {
        let key = try SSHPrivateKey(seed: seed, comment: "")
        self.publicKey = key.publicKey.wireBlob
        self.namespace = namespace
        self.hashAlgorithm = hashAlgorithm
        let digest = hashAlgorithm == "sha256" ? SHA256.hash(message) : SHA512.hash(message)
        var signed = SSHWireWriter()
        signed.raw(Array("SSHSIG".utf8))
        signed.string(namespace)
        signed.string([UInt8]())
        signed.string(hashAlgorithm)
        signed.string(digest)
        self.signature = try Ed25519.sign(signed.bytes, seed: seed)
    }

    var blob: [UInt8] {
        var inner = SSHWireWriter()
        inner.string(signatureType)
        inner.string(signature)
        var writer = SSHWireWriter()
        writer.raw(magic)
        writer.uint32(version)
        writer.string(publicKey)
        writer.string(namespace)
        writer.string(reserved)
        writer.string(hashAlgorithm)
        writer.string(inner.bytes)
        writer.raw(trailing)
        return writer.bytes
    }

    var armored: String { armor(blob, label: "SSH SIGNATURE") }
}

/// A private temporary folder, removed by `remove()` (call it from a `defer`).
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-sshsig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` with `mode`; key files need 0600 or ssh-keygen refuses them.
    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        let target = file(name)
        guard FileManager.default.createFile(atPath: target, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw TestFailure("cannot create \(target)")
        }
        return target
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: file(name), encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// The result of one ssh-keygen run.
struct ToolRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `ssh-keygen` with `arguments` in `folder`, stdin from `stdin` (a path) or /dev/null,
/// with `environment` added to ours.
/// Output goes to files rather than pipes, so a chatty child cannot block on a full pipe.
func sshKeygen(
    _ arguments: [String], in folder: TemporaryFolder, stdin: String = "/dev/null", environment: [String: String] = [:]
) throws -> ToolRun {
    let outPath = folder.file(".stdout"), errPath = folder.file(".stderr")
    guard FileManager.default.createFile(atPath: outPath, contents: nil),
          FileManager.default.createFile(atPath: errPath, contents: nil)
    else { throw TestFailure("cannot create the ssh-keygen output files") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
    guard let input = FileHandle(forReadingAtPath: stdin),
          let output = FileHandle(forWritingAtPath: outPath),
          let errors = FileHandle(forWritingAtPath: errPath)
    else { throw TestFailure("cannot open the ssh-keygen redirections") }
    defer {
        try? input.close()
        try? output.close()
        try? errors.close()
    }
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    return ToolRun(status: process.terminationStatus, stdout: try folder.read(".stdout"), stderr: try folder.read(".stderr"))
}
