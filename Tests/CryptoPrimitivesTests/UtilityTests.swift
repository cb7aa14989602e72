import CryptoPrimitives
import XCTest

/// Hex, constant-time comparison, wiping and the RNG.
final class UtilityTests: XCTestCase {
    func testHexRoundTrip() {
        XCTAssertEqual(Hex.encode([0x00, 0x01, 0xab, 0xff]), "0001abff")
        XCTAssertEqual(Hex.decode("0001abff"), [0x00, 0x01, 0xab, 0xff])
        XCTAssertEqual(Hex.decode("0001ABFF"), [0x00, 0x01, 0xab, 0xff])
        XCTAssertEqual(Hex.decode(""), [])
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(constantTimeEquals([], []))
        XCTAssertTrue(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2]))
    }

    func testSecureZero() {
        var key: [UInt8] = [1, 2, 3, 4]
        secureZero(&key)
        XCTAssertEqual(key, [0, 0, 0, 0])
        var empty: [UInt8] = []
        secureZero(&empty)
        XCTAssertEqual(empty, [])
    }

    func testRandomBytes() {
        XCTAssertEqual(secureRandomBytes(0), [])
        let a = secureRandomBytes(32), b = secureRandomBytes(32)
        XCTAssertEqual(a.count, 32)
        XCTAssertNotEqual(a, b)
    }

    func testErrorDescriptionsNameTheOperation() {
        XCTAssertEqual(CryptoError.authenticationFailure(operation: "X").description, "X: authentication failed")
        XCTAssertTrue("\(CryptoError.invalidParameter(operation: "scrypt", reason: "bad"))".hasPrefix("scrypt"))
    }
}
