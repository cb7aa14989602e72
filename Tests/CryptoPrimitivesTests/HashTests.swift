import CryptoPrimitives
import XCTest

/// SHA-256, HMAC-SHA-256 (RFC 4231) and HKDF-SHA-256 (RFC 5869) known answers.
final class HashTests: XCTestCase {
    func testSHA256OfABC() {
        XCTAssertEqual(Hex.encode(SHA256.hash(bytes("abc"))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Hex.encode(SHA256.hash([])),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testSHA256StreamedInUnevenPiecesMatchesOneShot() {
        var data = [UInt8](repeating: 0, count: 1 << 20)
        for i in data.indices { data[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
        let oneShot = SHA256.hash(data)

        let hasher = SHA256()
        let pieces = [1, 7, 64, 1000, 4093, 65536, 3, 100_000]
        var offset = 0
        var k = 0
        while offset < data.count {
            let end = min(offset + pieces[k % pieces.count], data.count)
            data[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
            k += 1
        }
        XCTAssertEqual(hasher.finalize(), oneShot)

        // finalize() resets: the same object hashes the next input from scratch.
        hasher.update(bytes("abc"))
        XCTAssertEqual(Hex.encode(hasher.finalize()),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testHMACSHA256RFC4231() {
        let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
            ([UInt8](repeating: 0x0b, count: 20), bytes("Hi There"),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (bytes("Jefe"), bytes("what do ya want for nothing?"),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ([UInt8](repeating: 0xaa, count: 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ([UInt8](repeating: 0xaa, count: 131),
             bytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (index, c) in cases.enumerated() {
            XCTAssertEqual(Hex.encode(HMACSHA256.authenticate(key: c.key, message: c.data)), c.mac, "RFC 4231 case #\(index + 1)")
        }
    }

    func testHMACWithEmptyInputsDoesNotCrash() {
        XCTAssertEqual(HMACSHA256.authenticate(key: [], message: []).count, 32)
    }

    func testHKDFRFC5869() throws {
        // Test case 1: basic.
        XCTAssertEqual(
            try HKDFSHA256.deriveKey(ikm: [UInt8](repeating: 0x0b, count: 22), salt: Array(0x00...0x0c),
                                     info: Array(0xf0...0xf9), count: 42),
            h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
        // Test case 2: long inputs and output.
        XCTAssertEqual(
            try HKDFSHA256.deriveKey(ikm: Array(0x00...0x4f), salt: Array(0x60...0xaf), info: Array(0xb0...0xff), count: 82),
            h("b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"))
        // Test case 3: empty salt and info — the case age's header MAC key uses.
        XCTAssertEqual(
            try HKDFSHA256.deriveKey(ikm: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [], count: 42),
            h("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    func testHKDFRejectsBadLength() {
        XCTAssertThrowsError(try HKDFSHA256.deriveKey(ikm: [1], salt: [], info: [], count: 0))
        XCTAssertThrowsError(try HKDFSHA256.deriveKey(ikm: [1], salt: [], info: [], count: 255 * 32 + 1))
    }
}
