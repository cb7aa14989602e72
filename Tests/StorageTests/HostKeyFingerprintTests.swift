import Storage
import XCTest

/// HostKeyFingerprint, the one rule for `host_key_sha256`, on vectors.
final class HostKeyFingerprintTests: XCTestCase {
    /// github.com's ed25519 host key fingerprint.
    static let fingerprint = "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"

    func testAccepted() throws {
        let fp = Self.fingerprint
        for text in ["SHA256:\(fp)", fp, fp + "=", "SHA256:\(fp)=", " SHA256:\(fp) ", "\t\(fp)", "\u{A0}\(fp)"] {
            let parsed = try HostKeyFingerprint(text)
            XCTAssertEqual(parsed.base64, fp, text)
            XCTAssertEqual(parsed.description, "SHA256:\(fp)", text)
        }
        // The right shape, though no digest encodes to it (its last character has bits past the
        // 256th): a wrong pin, which the connection refuses, as it did before the rule was one.
        XCTAssertEqual(try HostKeyFingerprint(String(fp.dropLast()) + "V").base64, String(fp.dropLast()) + "V")
    }

    func testRefused() {
        let fp = Self.fingerprint
        let cases = [
            "SHA256:" + String(fp.dropLast()),  // 42 characters
            fp + "A",  // 44, no padding
            fp + "==",  // a 32-byte digest pads with one
            String(repeating: "-", count: 43),  // not base64
            "MD5:" + fp, "sha256:" + fp, "SHA256:", "", "SHA256: \(fp)",
        ]
        for text in cases {
            XCTAssertThrowsError(try HostKeyFingerprint(text), text) { error in
                XCTAssertEqual(
                    "\(error)",
                    "\"\(text)\" is not a SHA-256 host key fingerprint: expected 43 base64 characters, "
                        + "optionally after \"SHA256:\", as printed by ssh-keygen -lf KEY.pub")
            }
        }
    }
}
