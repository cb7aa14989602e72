import CryptoPrimitives
import XCTest

/// scrypt known answers from RFC 7914 section 12.
final class ScryptTests: XCTestCase {
    func testRFC7914EmptyPasswordN16() throws {
        XCTAssertEqual(
            try Scrypt.deriveKey(password: [], salt: [], logN: 4, r: 1, p: 1, count: 64),
            h("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"))
    }

    func testRFC7914PasswordNaClN1024() throws {
        XCTAssertEqual(
            try Scrypt.deriveKey(password: bytes("password"), salt: bytes("NaCl"), logN: 10, r: 8, p: 16, count: 64),
            h("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"))
    }

    func testWorkFactorAboveOpenSSLDefaultCapWorks() throws {
        // logN 15 with r = 8 needs 32 MiB + a little, which OpenSSL's default maxmem refuses.
        let key = try Scrypt.deriveKey(password: bytes("pw"), salt: bytes("salt"), logN: 15, count: 32)
        XCTAssertEqual(key.count, 32)
    }

    func testRejectsBadParameters() {
        XCTAssertThrowsError(try Scrypt.deriveKey(password: [], salt: [], logN: 0, count: 32))
        XCTAssertThrowsError(try Scrypt.deriveKey(password: [], salt: [], logN: 63, count: 32))
        XCTAssertThrowsError(try Scrypt.deriveKey(password: [], salt: [], logN: 4, r: 0, count: 32))
    }
}
