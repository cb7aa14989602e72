import Age
import CryptoPrimitives
import Foundation
import XCTest

/// An error that fails a test with a readable message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// The outcome classes of the age test kit.
enum Outcome: String, Equatable {
    case success = "success"
    case headerFailure = "header failure"
    case hmacFailure = "HMAC failure"
    case payloadFailure = "payload failure"
    case armorFailure = "armor failure"
    case noMatch = "no match"

    init(_ error: AgeError) {
        switch error {
        case .headerFailure: self = .headerFailure
        case .hmacFailure: self = .hmacFailure
        case .payloadFailure: self = .payloadFailure
        case .armorFailure: self = .armorFailure
        case .noMatch: self = .noMatch
        case .invalidKey: self = .headerFailure
        }
    }
}

/// The result of a decryption: every byte released, and the error if it failed.
struct Decryption {
    var plaintext: [UInt8]
    var error: AgeError?
    var outcome: Outcome { error.map(Outcome.init) ?? .success }
}

/// Feeds `data` to `body` in pieces of `piece` bytes (the whole thing if piece is 0).
func inPieces(_ data: [UInt8], _ piece: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    if data.isEmpty || piece <= 0 || piece >= data.count {
        try data.withUnsafeBytes(body)
        return
    }
    var offset = 0
    while offset < data.count {
        let end = min(offset + piece, data.count)
        try data[offset..<end].withUnsafeBytes(body)
        offset = end
    }
}

func encrypt(_ plaintext: [UInt8], to recipients: [any Recipient], piece: Int = 0, armored: Bool = false) throws -> [UInt8] {
    let encryptor = try AgeEncryptor(recipients: recipients, armored: armored)
    var out: [UInt8] = []
    try inPieces(plaintext, piece) { try encryptor.update($0, into: &out) }
    try encryptor.finish(into: &out)
    return out
}

func decrypt(_ file: [UInt8], with identities: [any Identity], piece: Int = 0) -> Decryption {
    let decryptor = AgeDecryptor(identities: identities)
    var out: [UInt8] = []
    do {
        try inPieces(file, piece) { try decryptor.update($0, into: &out) }
        try decryptor.finish(into: &out)
        return Decryption(plaintext: out, error: nil)
    } catch let error as AgeError {
        return Decryption(plaintext: out, error: error)
    } catch {
        return Decryption(plaintext: out, error: .headerFailure("unexpected error type: \(error)"))
    }
}

/// Deterministic test data that is not all zeros or periodic at chunk size.
func testBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { buffer in
        for i in buffer.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            buffer[i] = UInt8(truncatingIfNeeded: state)
        }
    }
    return out
}

/// Inflates a zlib (RFC 1950) stream, as the conformance vectors marked `compressed: zlib` are
/// stored: with Python's zlib module (the system libz), so that the tests need no C module.
/// As zlib's inflate, it stops at the end of the stream and fails on a truncated one.
func zlibInflate(_ input: [UInt8]) throws -> [UInt8] {
    try Tools.require("/usr/bin/python3", package: "python3")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("age-inflate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("compressed")
    try writeBytes(input, to: file)
    let script = "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], 'rb').read()))"
    let result = try Tools.run("/usr/bin/python3", ["-c", script, file.path], in: directory)
    guard result.status == 0 else { throw TestFailure("inflate failed: \(result.stderr)") }
    return result.stdout
}

/// Runs external programs for the interoperability tests.
enum Tools {
    static func require(_ path: String, package: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is not installed: install the Debian package `\(package)` (apt-get install \(package))")
        }
    }

    /// Runs `executable` with `arguments`, stdin from `stdinText` (or /dev/null); stdout and
    /// stderr go to files so large outputs cannot deadlock a pipe.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdinText: String? = nil, in directory: URL) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let outURL = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
        let errURL = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else { throw TestFailure("cannot create output files in \(directory.path)") }
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let stdinPipe = Pipe()
        if stdinText != nil {
            process.standardInput = stdinPipe
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        if let stdinText {
            stdinPipe.fileHandleForWriting.write(Data(stdinText.utf8))
            try stdinPipe.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let stdout = try readBytes(outURL)
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, stdout, stderr)
    }
}

/// A temporary directory removed when the test ends.
func makeTemporaryDirectory(_ testCase: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("age-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func readBytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
func writeBytes(_ bytes: [UInt8], to url: URL) throws { try Data(bytes).write(to: url) }
