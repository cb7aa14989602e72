import Age
import CryptoPrimitives
import Foundation
import XCTest

/// Encrypt then decrypt with our own code, across chunk boundaries and input piece sizes.
final class AgeRoundTripTests: XCTestCase {
    static let sizes = [0, 1, 65535, 65536, 65537, 3 * 65536 + 7, 5 * 1024 * 1024 + 123]

    /// Piece sizes for feeding a given total: whole, odd, chunk-sized; bytewise when small.
    static func pieces(for size: Int) -> [Int] {
        var pieces = [0, 1000, 65536, 100_003]
        if size <= 65537 { pieces.append(1) }
        return pieces
    }

    private func headerLength(_ file: [UInt8]) -> Int {
        // Ends at the LF after the "--- " line.
        let marker = Array("\n--- ".utf8)
        for i in 0..<(file.count - marker.count) where file[i..<i + marker.count].elementsEqual(marker) {
            return file[(i + marker.count)...].firstIndex(of: 0x0a)! + 1
        }
        return -1
    }

    func testX25519SingleRecipient() throws {
        let identity = X25519Identity.generate()
        for size in AgeRoundTripTests.sizes {
            let plaintext = testBytes(size, seed: UInt64(size) + 1)
            for piece in AgeRoundTripTests.pieces(for: size) {
                let file = try encrypt(plaintext, to: [identity.recipient], piece: piece)
                // Size: header, 16-byte nonce, ceil(size / 64 KiB) chunks (at least one) + tags.
                let chunks = max(1, (size + 65535) / 65536)
                XCTAssertEqual(file.count, headerLength(file) + 16 + size + 16 * chunks, "size \(size) piece \(piece)")
                for decryptPiece in [0, 7919] + (size <= 65537 && piece == 0 ? [1] : []) {
                    let result = decrypt(file, with: [identity], piece: decryptPiece)
                    XCTAssertNil(result.error, "size \(size) piece \(piece)/\(decryptPiece): \(String(describing: result.error))")
                    XCTAssertTrue(result.plaintext == plaintext, "size \(size) piece \(piece)/\(decryptPiece): plaintext differs")
                }
            }
        }
    }

    func testX25519ThreeRecipientsEachDecrypts() throws {
        let identities = (0..<3).map { _ in X25519Identity.generate() }
        for size in AgeRoundTripTests.sizes {
            let plaintext = testBytes(size, seed: 99)
            let file = try encrypt(plaintext, to: identities.map(\.recipient), piece: 65535)
            for identity in identities {
                let result = decrypt(file, with: [identity], piece: 4096)
                XCTAssertNil(result.error, "size \(size)")
                XCTAssertTrue(result.plaintext == plaintext, "size \(size): plaintext differs")
            }
            // A stranger (listed alongside nothing) gets "no match", and nothing is released.
            let stranger = decrypt(file, with: [X25519Identity.generate()])
            XCTAssertEqual(stranger.error, .noMatch)
            XCTAssertEqual(stranger.plaintext, [])
            // With a stranger first and a right key second, the right key wins.
            let mixed = decrypt(file, with: [X25519Identity.generate(), identities[2]])
            XCTAssertNil(mixed.error)
        }
    }

    func testScrypt() throws {
        let passphrase = Array("correct horse battery staple".utf8)
        for size in AgeRoundTripTests.sizes {
            let plaintext = testBytes(size, seed: 7)
            let file = try encrypt(plaintext, to: [ScryptRecipient(passphrase: passphrase, workFactor: 10)], piece: 12345)
            let result = decrypt(file, with: [ScryptIdentity(passphrase: passphrase)], piece: 999)
            XCTAssertNil(result.error, "size \(size)")
            XCTAssertTrue(result.plaintext == plaintext, "size \(size): plaintext differs")
            XCTAssertEqual(decrypt(file, with: [ScryptIdentity(passphrase: Array("wrong".utf8))]).error, .noMatch)
            // A file asking for more work than we allow is refused up front.
            XCTAssertEqual(decrypt(file, with: [ScryptIdentity(passphrase: passphrase, maxWorkFactor: 9)]).outcome, .headerFailure)
        }
    }

    func testArmoredOutput() throws {
        let identity = X25519Identity.generate()
        for size in [0, 1, 47, 48, 49, 65536, 200_000] {
            let plaintext = testBytes(size, seed: 3)
            for piece in [0, 1000, 1] where !(piece == 1 && size > 65536) {
                let file = try encrypt(plaintext, to: [identity.recipient], piece: piece, armored: true)
                let text = String(decoding: file, as: UTF8.self)
                XCTAssertTrue(text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"))
                XCTAssertTrue(text.hasSuffix("\n-----END AGE ENCRYPTED FILE-----\n"))
                XCTAssertTrue(text.split(separator: "\n").allSatisfy { $0.count <= 64 || $0.hasPrefix("-----") })
                for decryptPiece in [0, 1000, 1] where !(decryptPiece == 1 && size > 65536) {
                    let result = decrypt(file, with: [identity], piece: decryptPiece)
                    XCTAssertNil(result.error, "size \(size): \(String(describing: result.error))")
                    XCTAssertTrue(result.plaintext == plaintext, "size \(size)")
                }
            }
        }
    }

    func testScryptMustBeAlone() throws {
        let scrypt = ScryptRecipient(passphrase: Array("pw".utf8), workFactor: 10)
        XCTAssertThrowsError(try AgeEncryptor(recipients: [scrypt, X25519Identity.generate().recipient])) {
            guard case .invalidKey = $0 as? AgeError else { return XCTFail("expected invalidKey, got \($0)") }
        }
        XCTAssertThrowsError(try AgeEncryptor(recipients: [scrypt, scrypt]))
        XCTAssertThrowsError(try AgeEncryptor(recipients: []))
        XCTAssertThrowsError(try encrypt([1], to: [ScryptRecipient(passphrase: Array("pw".utf8), workFactor: 23)]))
    }

    func testRefusesStanzasThatWouldNotParse() {
        struct BadRecipient: Recipient {
            func wrap(fileKey: [UInt8]) throws -> [Stanza] { [Stanza(type: "bad", args: ["has space"], body: [])] }
        }
        XCTAssertThrowsError(try AgeEncryptor(recipients: [BadRecipient()])) { error in
            guard case .invalidKey = error as? AgeError else { return XCTFail("expected invalidKey, got \(error)") }
        }
    }

    func testHeaderLayout() throws {
        let identity = X25519Identity.generate()
        let file = try encrypt([1, 2, 3], to: [identity.recipient])
        let lines = String(decoding: file.prefix(headerLength(file)), as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines[0], "age-encryption.org/v1")
        XCTAssertTrue(lines[1].hasPrefix("-> X25519 "))
        XCTAssertEqual(lines[1].count, "-> X25519 ".count + 43)  // 32-byte share, unpadded
        XCTAssertEqual(lines[2].count, 43)                       // 32-byte body
        XCTAssertTrue(lines[3].hasPrefix("--- "))
        XCTAssertEqual(lines[3].count, 4 + 43)
        XCTAssertFalse(lines.joined().contains("="))
    }

    func testManyRecipients() throws {
        let identities = (0..<100).map { _ in X25519Identity.generate() }
        let file = try encrypt(testBytes(1000), to: identities.map(\.recipient))
        XCTAssertNil(decrypt(file, with: [identities[99]], piece: 1).error)
    }

    func testHeaderSizeIsBounded() {
        // A syntactically plausible header that never ends must be refused at 1 MiB, not buffered.
        var file = Array("age-encryption.org/v1\n-> X25519 AAAA\n".utf8)
        let line = Array(String(repeating: "A", count: 64).utf8) + [0x0a]
        while file.count < (1 << 20) + 100 { file += line }
        let result = decrypt(file, with: [X25519Identity.generate()], piece: 65536)
        XCTAssertEqual(result.outcome, .headerFailure)
    }

    func testThroughput() throws {
        // Not a benchmark, a guard against accidental per-byte work on the hot path. Debug
        // builds are much slower than release, so the bound is generous.
        let identity = X25519Identity.generate()
        let plaintext = testBytes(32 << 20)
        let start = Date()
        let file = try encrypt(plaintext, to: [identity.recipient], piece: 1 << 20)
        let result = decrypt(file, with: [identity], piece: 1 << 20)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertNil(result.error)
        XCTAssertTrue(result.plaintext == plaintext)
        print(String(format: "age round trip of 32 MiB: %.2f s (%.0f MB/s each way)", seconds, 2 * 32 * 1.048576 / seconds))
        XCTAssertLessThan(seconds, 20)
    }
}
