import CryptoPrimitives
import XCTest

/// MD5's RFC 1321 test suite (appendix A.5).
final class MD5Tests: XCTestCase {
    func testRFC1321Suite() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, expected) in vectors {
            XCTAssertEqual(Hex.encode(MD5.hash(Array(input.utf8))), expected, "MD5(\"\(input)\")")
        }
        XCTAssertEqual(Hex.encode(MD5.hash(UnsafeRawBufferPointer(start: nil, count: 0))), "d41d8cd98f00b204e9800998ecf8427e")
    }
}
