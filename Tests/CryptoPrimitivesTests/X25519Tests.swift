import CryptoPrimitives
import XCTest

/// X25519 known answers from RFC 7748.
final class X25519Tests: XCTestCase {
    func testRFC7748DiffieHellman() throws {
        let alicePrivate = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bobPrivate = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        let alicePublic = try X25519.publicKey(privateKey: alicePrivate)
        let bobPublic = try X25519.publicKey(privateKey: bobPrivate)
        XCTAssertEqual(alicePublic, h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
        XCTAssertEqual(bobPublic, h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        let shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        XCTAssertEqual(try X25519.sharedSecret(privateKey: alicePrivate, publicKey: bobPublic), shared)
        XCTAssertEqual(try X25519.sharedSecret(privateKey: bobPrivate, publicKey: alicePublic), shared)
    }

    func testRFC7748ScalarMultiplication() throws {
        // Section 5.2, first vector (the scalar is clamped by X25519 itself).
        XCTAssertEqual(
            try X25519.sharedSecret(privateKey: h("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                                    publicKey: h("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")),
            h("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"))
    }

    func testLowOrderPointIsRejected() throws {
        let privateKey = secureRandomBytes(32)
        // The all-zero point and u = 1 are low-order: the shared secret would be all zeros.
        XCTAssertThrowsError(try X25519.sharedSecret(privateKey: privateKey, publicKey: [UInt8](repeating: 0, count: 32)))
        var one = [UInt8](repeating: 0, count: 32)
        one[0] = 1
        XCTAssertThrowsError(try X25519.sharedSecret(privateKey: privateKey, publicKey: one))
    }

    func testWrongLengthsAreRejected() {
        XCTAssertThrowsError(try X25519.publicKey(privateKey: [1, 2, 3]))
        XCTAssertThrowsError(try X25519.sharedSecret(privateKey: secureRandomBytes(32), publicKey: [9]))
    }
}
