import Age
import CryptoPrimitives
import XCTest

/// Modified and truncated files must fail with the right class of error, and never release
/// unauthenticated plaintext.
final class AgeTamperTests: XCTestCase {
    let identity = X25519Identity.generate()
    lazy var plaintext = testBytes(3 * 65536 + 7, seed: 42)
    lazy var file: [UInt8] = try! encrypt(plaintext, to: [identity.recipient])

    var headerEnd: Int {
        let marker = Array("\n--- ".utf8)
        for i in 0..<(file.count - marker.count) where file[i..<i + marker.count].elementsEqual(marker) {
            return file[(i + marker.count)...].firstIndex(of: 0x0a)! + 1
        }
        fatalError("no header end")
    }

    func testEveryHeaderByteFlipFailsInTheHeader() {
        for index in 0..<headerEnd {
            var bad = file
            bad[index] ^= 0x01
            let result = decrypt(bad, with: [identity])
            // Damage to "age-encryption.org/" means the input no longer looks like binary age,
            // so the decryptor reads it as (invalid) armor.
            let allowed: [Outcome] = index < 19 ? [.armorFailure] : [.headerFailure, .hmacFailure, .noMatch]
            XCTAssertTrue(allowed.contains(result.outcome), "flipping header byte \(index) gave \(result.outcome.rawValue)")
            XCTAssertEqual(result.plaintext, [], "header byte \(index): plaintext released")
        }
    }

    func testSpecificHeaderTampering() throws {
        let text = String(decoding: file[..<headerEnd], as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let payload = Array(file[headerEnd...])

        // A different but well-formed MAC: the header parses and unwraps, the MAC mismatches.
        var macLines = lines
        let otherMAC = Data(repeating: 7, count: 32).base64EncodedString().replacingOccurrences(of: "=", with: "")
        macLines[3] = "--- " + otherMAC
        XCTAssertEqual(decrypt(Array(macLines.joined(separator: "\n").utf8) + payload, with: [identity]).error, .hmacFailure)

        // An extra (unknown, well-formed) stanza not covered by the MAC.
        var greased = lines
        greased.insert(contentsOf: ["-> grease x", ""], at: 1)
        XCTAssertEqual(decrypt(Array(greased.joined(separator: "\n").utf8) + payload, with: [identity]).error, .hmacFailure)

        // A different, valid ephemeral share: the wrap key changes, the tag fails, not ours.
        var shareLines = lines
        let otherShare = try X25519.publicKey(privateKey: secureRandomBytes(32))
        shareLines[1] = "-> X25519 " + Data(otherShare).base64EncodedString().replacingOccurrences(of: "=", with: "")
        XCTAssertEqual(decrypt(Array(shareLines.joined(separator: "\n").utf8) + payload, with: [identity]).error, .noMatch)

        // Wrong version line.
        lines[0] = "age-encryption.org/v2"
        XCTAssertEqual(decrypt(Array(lines.joined(separator: "\n").utf8) + payload, with: [identity]).outcome, .headerFailure)
    }

    func testPayloadByteFlips() {
        // In the nonce (changes the payload key), in each chunk, and in the final tag.
        for index in [headerEnd, headerEnd + 15, headerEnd + 16, headerEnd + 16 + 65551,
                      headerEnd + 16 + 65552 + 100, file.count - 1] {
            var bad = file
            bad[index] ^= 0x80
            for piece in [0, 1000] {
                let result = decrypt(bad, with: [identity], piece: piece)
                guard case .payloadFailure = result.error else {
                    XCTFail("flipping byte \(index): expected payload failure, got \(String(describing: result.error))")
                    continue
                }
                // Whatever was released is an authenticated prefix: whole chunks of the original.
                XCTAssertEqual(result.plaintext.count % 65536, 0)
                XCTAssertTrue(plaintext.starts(with: result.plaintext))
            }
        }
    }

    func testTruncation() {
        let payloadStart = headerEnd + 16
        let cases: [(length: Int, expected: Outcome, released: Int)] = [
            (0, .headerFailure, 0),
            (10, .headerFailure, 0),
            (headerEnd - 1, .headerFailure, 0),
            (headerEnd, .headerFailure, 0),             // no nonce
            (headerEnd + 8, .headerFailure, 0),         // short nonce
            (payloadStart, .payloadFailure, 0),         // nonce, no chunks
            (payloadStart + 10, .payloadFailure, 0),    // shorter than a tag
            (payloadStart + 65552, .payloadFailure, 65536),          // cut at a chunk boundary
            (payloadStart + 2 * 65552, .payloadFailure, 2 * 65536),
            (payloadStart + 2 * 65552 + 5, .payloadFailure, 2 * 65536),
            (file.count - 1, .payloadFailure, 3 * 65536),
        ]
        for c in cases {
            for piece in [0, 1000] {
                let result = decrypt(Array(file[..<c.length]), with: [identity], piece: piece)
                XCTAssertEqual(result.outcome, c.expected, "truncated to \(c.length)")
                XCTAssertEqual(result.plaintext.count, c.released, "truncated to \(c.length)")
                XCTAssertTrue(plaintext.starts(with: result.plaintext))
            }
        }
    }

    func testTrailingData() {
        for extra in [[UInt8(0)], [UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 70000)] {
            let result = decrypt(file + extra, with: [identity], piece: 4096)
            guard case .payloadFailure = result.error else {
                return XCTFail("trailing \(extra.count) bytes: expected payload failure, got \(String(describing: result.error))")
            }
        }
    }

    func testErrorsAreSticky() {
        let decryptor = AgeDecryptor(identities: [identity])
        var out: [UInt8] = []
        let garbage = Array("age-encryption.org/v9\n".utf8)
        XCTAssertThrowsError(try garbage.withUnsafeBytes { try decryptor.update($0, into: &out) })
        XCTAssertThrowsError(try file.withUnsafeBytes { try decryptor.update($0, into: &out) })
        XCTAssertThrowsError(try decryptor.finish(into: &out))
        XCTAssertEqual(out, [])
    }
}
