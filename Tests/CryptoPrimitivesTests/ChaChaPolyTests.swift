import CryptoPrimitives
import XCTest

/// ChaCha20-Poly1305 known answers from RFC 8439 and tamper checks.
final class ChaChaPolyTests: XCTestCase {
    let key = h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
    let nonce = h("070000004041424344454647")
    let aad = h("50515253c0c1c2c3c4c5c6c7")
    let plaintext = bytes("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
    let expected = h("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
                     + "1ae10b594f09e26a7e902ecbd0600691")

    func testRFC8439Section282() throws {
        XCTAssertEqual(try ChaChaPoly.seal(key: key, nonce: nonce, plaintext: plaintext, aad: aad), expected)
        XCTAssertEqual(try ChaChaPoly.open(key: key, nonce: nonce, ciphertext: expected, aad: aad), plaintext)
    }

    func testTamperingIsDetected() throws {
        for index in [0, 50, expected.count - 1] {
            var bad = expected
            bad[index] ^= 0x01
            XCTAssertThrowsError(try ChaChaPoly.open(key: key, nonce: nonce, ciphertext: bad, aad: aad)) { error in
                XCTAssertEqual(error as? CryptoError, .authenticationFailure(operation: "ChaCha20-Poly1305 open"))
            }
        }
        XCTAssertThrowsError(try ChaChaPoly.open(key: key, nonce: nonce, ciphertext: expected, aad: []))
        XCTAssertThrowsError(try ChaChaPoly.open(key: key, nonce: nonce, ciphertext: Array(expected.prefix(15))))
    }

    func testReusedContextAlternatesSealAndOpen() throws {
        let cipher = try ChaChaPoly(key: key)
        for round in 0..<50 {
            var n = [UInt8](repeating: 0, count: 12)
            n[11] = UInt8(round)
            let message = [UInt8](repeating: UInt8(round), count: round * 97)
            let sealed = try cipher.seal(nonce: n, plaintext: message)
            XCTAssertEqual(sealed.count, message.count + 16)
            XCTAssertEqual(try cipher.open(nonce: n, ciphertext: sealed), message)
            // A failed open must not poison the context for the next message.
            XCTAssertThrowsError(try cipher.open(nonce: [UInt8](repeating: 0xff, count: 12), ciphertext: sealed))
        }
        XCTAssertEqual(try cipher.seal(nonce: nonce, plaintext: plaintext, aad: aad), expected)
    }

    func testEmptyPlaintextIsJustATag() throws {
        let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, plaintext: [])
        XCTAssertEqual(sealed.count, 16)
        XCTAssertEqual(try ChaChaPoly.open(key: key, nonce: nonce, ciphertext: sealed), [])
    }

    func testPointerVariantsWriteIntoCallerBuffer() throws {
        let cipher = try ChaChaPoly(key: key)
        let message = [UInt8](repeating: 0x5a, count: 65536)
        var out = [UInt8](repeating: 0, count: 65536 + 16)
        try nonce.withUnsafeBytes { n in
            try message.withUnsafeBytes { m in
                try out.withUnsafeMutableBytes { o in
                    try cipher.seal(nonce: n, plaintext: m, into: o.baseAddress!)
                }
            }
        }
        XCTAssertEqual(out, try ChaChaPoly.seal(key: key, nonce: nonce, plaintext: message))
        var back = [UInt8](repeating: 0, count: 65536)
        let count = try nonce.withUnsafeBytes { n in
            try out.withUnsafeBytes { c in
                try back.withUnsafeMutableBytes { o in
                    try cipher.open(nonce: n, ciphertext: c, into: o.baseAddress!)
                }
            }
        }
        XCTAssertEqual(count, 65536)
        XCTAssertEqual(back, message)
    }

    func testBadKeyAndNonceLengths() {
        XCTAssertThrowsError(try ChaChaPoly(key: [1, 2, 3]))
        XCTAssertThrowsError(try ChaChaPoly.seal(key: key, nonce: [1], plaintext: [1]))
    }
}
