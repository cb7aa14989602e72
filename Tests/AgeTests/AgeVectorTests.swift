import Age
import CryptoPrimitives
import Foundation
import XCTest

/// The C2SP CCTV age conformance vectors (see /work/shared/testdata/age/README.md): every
/// vector's outcome and released plaintext must match its `expect:` and `payload:` lines.
final class AgeVectorTests: XCTestCase {
    /// <package root>/../shared/testdata/age/vectors; the root is 3 levels above this file.
    static let vectorsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("shared/testdata/age/vectors")

    struct Vector {
        var name: String
        var expect: Outcome
        var payload: String?
        var identities: [String] = []
        var passphrases: [String] = []
        var armored = false
        var file: [UInt8]
    }

    static func load(_ url: URL) throws -> Vector {
        let data = try readBytes(url)
        let name = url.lastPathComponent
        guard let split = (0..<max(0, data.count - 1)).first(where: { data[$0] == 0x0a && data[$0 + 1] == 0x0a }) else {
            throw TestFailure("\(name): no blank line after the header")
        }
        var body = Array(data[(split + 2)...])
        var expect: Outcome?
        var payload: String?
        var identities: [String] = [], passphrases: [String] = []
        var armored = false, compressed = false
        for line in String(decoding: data[..<split], as: UTF8.self).split(separator: "\n") {
            guard let colon = line.range(of: ": ") else { throw TestFailure("\(name): malformed header line \(line)") }
            let key = String(line[..<colon.lowerBound]), value = String(line[colon.upperBound...])
            switch key {
            case "expect":
                guard let outcome = Outcome(rawValue: value) else { throw TestFailure("\(name): unknown expect \(value)") }
                expect = outcome
            case "payload": payload = value
            case "identity": identities.append(value)
            case "passphrase": passphrases.append(value)
            case "armored": armored = value == "yes"
            case "compressed":
                guard value == "zlib" else { throw TestFailure("\(name): unknown compression \(value)") }
                compressed = true
            default: break  // "file key", "comment" and unknown keys are ignored, as upstream says
            }
        }
        guard let expect else { throw TestFailure("\(name): no expect line") }
        if compressed { body = try zlibInflate(body) }
        return Vector(name: name, expect: expect, payload: payload, identities: identities,
                      passphrases: passphrases, armored: armored, file: body)
    }

    func testConformanceVectors() throws {
        let directory = AgeVectorTests.vectorsDirectory
        guard FileManager.default.fileExists(atPath: directory.path) else {
            print("age vectors: folder \(directory.path) is absent; skipping the conformance vectors")
            throw XCTSkip("age vectors folder \(directory.path) is absent")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertFalse(names.isEmpty, "no vectors in \(directory.path)")
        var passed = 0
        var skipped: [String] = []
        for name in names {
            let vector = try AgeVectorTests.load(directory.appendingPathComponent(name))
            let classic = vector.identities.filter { !$0.hasPrefix("AGE-SECRET-KEY-PQ-") }
            if !vector.identities.isEmpty, classic.isEmpty, vector.passphrases.isEmpty {
                skipped.append(name)  // post-quantum only: needs ML-KEM, absent from OpenSSL 3.0
                continue
            }
            var identities: [any Identity] = []
            for string in classic { identities.append(try X25519Identity(string)) }
            for passphrase in vector.passphrases { identities.append(ScryptIdentity(passphrase: Array(passphrase.utf8))) }

            // All at once, in 1000-byte pieces, and (for small files) one byte at a time.
            var pieces = [0, 1000]
            if vector.file.count <= 200_000 { pieces.append(1) }
            var ok = true
            for piece in pieces {
                let result = decrypt(vector.file, with: identities, piece: piece)
                if result.outcome != vector.expect {
                    XCTFail("\(name) (pieces of \(piece)): expected \(vector.expect.rawValue), got \(result.outcome.rawValue)" +
                            (result.error.map { " (\($0))" } ?? ""))
                    ok = false
                    continue
                }
                if vector.expect == .success || vector.expect == .payloadFailure {
                    guard let payload = vector.payload else {
                        XCTFail("\(name): no payload line")
                        ok = false
                        continue
                    }
                    let digest = Hex.encode(SHA256.hash(result.plaintext))
                    if digest != payload {
                        XCTFail("\(name) (pieces of \(piece)): released plaintext SHA-256 \(digest), expected \(payload)")
                        ok = false
                    }
                }
            }
            if ok { passed += 1 }
        }
        print("age vectors skipped (post-quantum only, \(skipped.count)): \(skipped.joined(separator: ", "))")
        print("age vectors: \(passed) passed, \(skipped.count) skipped (post-quantum)")
        XCTAssertEqual(passed + skipped.count, names.count, "every non-post-quantum vector must pass")
    }
}
