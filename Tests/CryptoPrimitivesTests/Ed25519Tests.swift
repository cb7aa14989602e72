import CryptoPrimitives
import XCTest

/// Ed25519 against RFC 8032's known answers, plus the ways a verifier must say no.
final class Ed25519Tests: XCTestCase {
    func testRFC8032Vectors() throws {
        XCTAssertEqual(h(rfc8032Vectors[3].message).count, 1023, "TEST 1024 signs a 1023-byte message")
        for vector in rfc8032Vectors {
            let seed = h(vector.seed), publicKey = h(vector.publicKey)
            let message = h(vector.message), signature = h(vector.signature)
            XCTAssertEqual(try Ed25519.publicKey(seed: seed), publicKey, vector.name)
            XCTAssertEqual(try Ed25519.sign(message, seed: seed), signature, vector.name)
            XCTAssertTrue(Ed25519.isValidSignature(signature, message: message, publicKey: publicKey), vector.name)
        }
    }

    func testTamperedSignatureMessageOrKeyFails() throws {
        for vector in rfc8032Vectors {
            let publicKey = h(vector.publicKey), message = h(vector.message), signature = h(vector.signature)
            for index in [0, 31, 32, 63] {
                var flipped = signature
                flipped[index] ^= 0x01
                XCTAssertFalse(Ed25519.isValidSignature(flipped, message: message, publicKey: publicKey), "\(vector.name) sig byte \(index)")
            }
            XCTAssertFalse(Ed25519.isValidSignature(signature, message: message + [0], publicKey: publicKey), vector.name)
            if !message.isEmpty {
                var changed = message
                changed[changed.count - 1] ^= 0x80
                XCTAssertFalse(Ed25519.isValidSignature(signature, message: changed, publicKey: publicKey), vector.name)
            }
            var otherKey = publicKey
            otherKey[0] ^= 0x01
            XCTAssertFalse(Ed25519.isValidSignature(signature, message: message, publicKey: otherKey), vector.name)
        }
    }

    func testSignatureFromAnotherKeyFails() throws {
        let message = bytes("respaldo manifest")
        let signature = try Ed25519.sign(message, seed: Ed25519.generateSeed())
        let other = try Ed25519.publicKey(seed: Ed25519.generateSeed())
        XCTAssertFalse(Ed25519.isValidSignature(signature, message: message, publicKey: other))
    }

    func testGeneratedKeysRoundTrip() throws {
        let seed = Ed25519.generateSeed()
        XCTAssertEqual(seed.count, Ed25519.seedSize)
        XCTAssertNotEqual(seed, Ed25519.generateSeed())
        let publicKey = try Ed25519.publicKey(seed: seed)
        for message in [[], bytes("x"), [UInt8](repeating: 0xa5, count: 100_000)] {
            let signature = try Ed25519.sign(message, seed: seed)
            XCTAssertEqual(signature.count, Ed25519.signatureSize)
            XCTAssertEqual(try Ed25519.sign(message, seed: seed), signature, "Ed25519 is deterministic")
            XCTAssertTrue(Ed25519.isValidSignature(signature, message: message, publicKey: publicKey))
        }
    }

    func testWrongLengthsThrowOrFail() {
        for seed in [[], [UInt8](repeating: 1, count: 31), [UInt8](repeating: 1, count: 33), [UInt8](repeating: 1, count: 64)] {
            XCTAssertThrowsError(try Ed25519.publicKey(seed: seed)) { error in
                guard case CryptoError.invalidParameter = error else { return XCTFail("\(error)") }
            }
            XCTAssertThrowsError(try Ed25519.sign([1], seed: seed)) { error in
                guard case CryptoError.invalidParameter = error else { return XCTFail("\(error)") }
            }
        }
        let vector = rfc8032Vectors[1]
        let publicKey = h(vector.publicKey), message = h(vector.message), signature = h(vector.signature)
        XCTAssertFalse(Ed25519.isValidSignature([], message: message, publicKey: publicKey))
        XCTAssertFalse(Ed25519.isValidSignature(Array(signature.dropLast()), message: message, publicKey: publicKey))
        XCTAssertFalse(Ed25519.isValidSignature(signature + [0], message: message, publicKey: publicKey))
        XCTAssertFalse(Ed25519.isValidSignature(signature, message: message, publicKey: []))
        XCTAssertFalse(Ed25519.isValidSignature(signature, message: message, publicKey: Array(publicKey.dropLast())))
    }

    /// Public keys that are not curve points, the all-zero signature, and an `s` above the group
    /// order (a malleated signature) are refused without throwing or trapping.
    func testHostileInputsAreRejected() {
        let vector = rfc8032Vectors[2]
        let publicKey = h(vector.publicKey), message = h(vector.message), signature = h(vector.signature)
        XCTAssertFalse(Ed25519.isValidSignature(signature, message: message, publicKey: [UInt8](repeating: 0xff, count: 32)))
        XCTAssertFalse(Ed25519.isValidSignature(signature, message: message, publicKey: [UInt8](repeating: 0, count: 32)))
        XCTAssertFalse(Ed25519.isValidSignature([UInt8](repeating: 0, count: 64), message: message, publicKey: publicKey))
        // s + L, with L = 2^252 + 27742317777372353535851937790883648493 (little-endian below).
        let order = h("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var malleated = signature
        var carry = 0
        for i in 0..<32 {
            let sum = Int(malleated[32 + i]) + Int(order[i]) + carry
            malleated[32 + i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        XCTAssertFalse(Ed25519.isValidSignature(malleated, message: message, publicKey: publicKey))
    }
}
