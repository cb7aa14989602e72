import Foundation
@testable import SSHSig
import XCTest

/// Truncations and single-byte changes of valid inputs: every one must end in a thrown error or
/// a refused verification, never a trap, and never in a signature that still verifies.
final class HostileInputTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private var signers: AllowedSigners {
        get throws { try AllowedSigners(text: "backup@example.com \(Vectors.publicKeyLine)\n") }
    }

    private func verify(_ armored: String, signers: AllowedSigners) throws(SSHSigError) {
        _ = try SSHSignature.verify(armored: armored, message: Vectors.message, namespace: Vectors.namespace, signers: signers, now: now)
    }

    func testEveryTruncationAndByteChangeOfASignatureBlobIsRefused() throws {
        let signers = try self.signers
        let blob = try dearmor(Vectors.signature, label: "SSH SIGNATURE")
        XCTAssertNoThrow(try verify(Vectors.signature, signers: signers))
        for length in 0..<blob.count {
            XCTAssertNotNil(thrownError { try verify(armor(Array(blob[0..<length]), label: "SSH SIGNATURE"), signers: signers) },
                            "truncated to \(length)")
        }
        for index in blob.indices {
            for change: UInt8 in [0x01, 0x80, 0xff] {
                var mutated = blob
                mutated[index] ^= change
                XCTAssertNotNil(thrownError { try verify(armor(mutated, label: "SSH SIGNATURE"), signers: signers) },
                                "byte \(index) ^ \(change)")
            }
            var inserted = blob
            inserted.insert(0, at: index)
            XCTAssertNotNil(thrownError { try verify(armor(inserted, label: "SSH SIGNATURE"), signers: signers) }, "insert at \(index)")
        }
    }

    func testEveryTruncationAndCharacterChangeOfTheArmoredTextIsRefused() throws {
        let signers = try self.signers
        let text = Array(Vectors.signature.utf8)
        // Dropping only the final newline or the blank tail keeps it valid; anything shorter fails.
        for length in 0..<(text.count - 1) {
            XCTAssertNotNil(thrownError { try verify(String(decoding: text[0..<length], as: UTF8.self), signers: signers) }, "cut at \(length)")
        }
        for index in text.indices where text[index] != UInt8(ascii: "\n") {
            for replacement in [UInt8(ascii: "A"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "-"), 0x00, 0xff] where replacement != text[index] {
                var mutated = text
                mutated[index] = replacement
                // Some changes only touch the unused low bits of the last base64 character,
                // which decoders ignore; the decoded blob is then the original. Anything else
                // must fail.
                let decoded = try? dearmor(String(decoding: mutated, as: UTF8.self), label: "SSH SIGNATURE")
                if decoded == (try dearmor(Vectors.signature, label: "SSH SIGNATURE")) { continue }
                XCTAssertNotNil(thrownError { try verify(String(decoding: mutated, as: UTF8.self), signers: signers) },
                                "character \(index) -> \(replacement)")
            }
        }
    }

    func testEveryTruncationAndByteChangeOfAKeyFileIsRefusedOrHarmless() throws {
        let original = try SSHPrivateKey(pem: Vectors.privateKeyFile)
        let blob = try dearmor(Vectors.privateKeyFile, label: "OPENSSH PRIVATE KEY")
        for length in 0..<blob.count {
            XCTAssertThrowsError(try SSHPrivateKey(pem: armor(Array(blob[0..<length]), label: "OPENSSH PRIVATE KEY")), "truncated to \(length)")
        }
        var loaded = 0
        for index in blob.indices {
            for change: UInt8 in [0x01, 0x80, 0xff] {
                var mutated = blob
                mutated[index] ^= change
                // The only bytes that can change and still load are the comment's; the key must
                // then be the original.
                if let key = try? SSHPrivateKey(pem: armor(mutated, label: "OPENSSH PRIVATE KEY")) {
                    XCTAssertEqual(key.publicKey, original.publicKey, "byte \(index) ^ \(change)")
                    XCTAssertNotEqual(key.comment, original.comment, "byte \(index) ^ \(change)")
                    loaded += 1
                }
            }
        }
        XCTAssertLessThanOrEqual(loaded, 3 * Vectors.comment.utf8.count)
    }

    func testRandomGarbageNeverTraps() {
        var state: UInt64 = 0x1234_5678_9abc_def1
        func next() -> UInt8 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        for round in 0..<2000 {
            let length = Int(next()) + Int(next()) % 4 * 256
            let bytes = (0..<length).map { _ in next() }
            let prefix = round.isMultiple(of: 2) ? Array("SSHSIG".utf8) + [0, 0, 0, 1] : Array("openssh-key-v1".utf8) + [0]
            _ = try? SSHSignature.parse(armored: armor(prefix + bytes, label: "SSH SIGNATURE"))
            _ = try? SSHPrivateKey(pem: armor(prefix + bytes, label: "OPENSSH PRIVATE KEY"))
            _ = try? SSHPublicKey(wireBlob: bytes)
            _ = try? AllowedSigners(text: String(decoding: bytes, as: UTF8.self))
        }
    }
}
