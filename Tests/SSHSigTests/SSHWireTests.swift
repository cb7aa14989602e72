@testable import SSHSig
import XCTest

/// The bounded reader: every length is checked against what remains.
final class SSHWireTests: XCTestCase {
    private func reader(_ bytes: [UInt8]) -> SSHWireReader {
        SSHWireReader(bytes, malformed: SSHSigError.malformedSignature)
    }

    func testWriterAndReaderRoundTrip() throws {
        var writer = SSHWireWriter()
        writer.uint32(0xdead_beef)
        writer.string("ssh-ed25519")
        writer.string([UInt8]())
        writer.raw([1, 2, 3])
        XCTAssertEqual(writer.bytes.prefix(8), [0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 11])
        var r = reader(writer.bytes)
        XCTAssertEqual(try r.readUInt32("n"), 0xdead_beef)
        XCTAssertEqual(try r.readText("type"), "ssh-ed25519")
        XCTAssertEqual(try r.readString("empty"), [])
        XCTAssertEqual(r.remaining, 3)
        XCTAssertThrowsError(try r.expectEnd("the test"))
        XCTAssertEqual(try r.readRaw(3, "raw"), [1, 2, 3])
        XCTAssertNoThrow(try r.expectEnd("the test"))
    }

    func testLengthsBeyondTheInputAreTypedErrors() {
        let cases: [(name: String, bytes: [UInt8])] = [
            ("empty", []),
            ("short uint32", [0, 0, 1]),
            ("length one past the end", [0, 0, 0, 4, 1, 2, 3]),
            ("maximal length", [0xff, 0xff, 0xff, 0xff, 1]),
            ("2^31", [0x80, 0, 0, 0]),
        ]
        for c in cases {
            var r = reader(c.bytes)
            XCTAssertThrowsError(try r.readString("field"), c.name) { error in
                guard case SSHSigError.malformedSignature = error else { return XCTFail("\(c.name): \(error)") }
            }
        }
        var r = reader([1, 2])
        XCTAssertThrowsError(try r.readRaw(3, "raw"))
        XCTAssertThrowsError(try r.readRaw(-1, "raw"))
    }

    func testTextMustBeUTF8WithoutNUL() {
        for bad: [UInt8] in [[0, 0, 0, 3, 0x61, 0, 0x62], [0, 0, 0, 2, 0xc3, 0x28], [0, 0, 0, 1, 0xff]] {
            var r = reader(bad)
            XCTAssertThrowsError(try r.readText("name"))
        }
        var r = reader([0, 0, 0, 2, 0xc3, 0xa9])
        XCTAssertEqual(try r.readText("name"), "é")
    }

    func testArmorLayoutAndStrictness() throws {
        let blob = [UInt8](0..<200)
        let text = SSHArmor.encode(blob, label: "SSH SIGNATURE")
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.first, "-----BEGIN SSH SIGNATURE-----")
        XCTAssertEqual(lines.last, "-----END SSH SIGNATURE-----")
        XCTAssertTrue(text.hasSuffix("-----\n"))
        XCTAssertEqual(lines.dropFirst().dropLast().map(\.count), [70, 70, 70, 58])
        let decode = { (t: String) throws -> [UInt8] in try SSHArmor.decode(t, label: "SSH SIGNATURE", malformed: SSHSigError.malformedSignature) }
        XCTAssertEqual(try decode(text), blob)
        XCTAssertEqual(try decode("\n" + text.replacingOccurrences(of: "\n", with: "\r\n") + "\n\n"), blob)
        XCTAssertThrowsError(try decode("junk\n" + text))
        XCTAssertThrowsError(try decode(text + "junk\n"))
        XCTAssertThrowsError(try decode(text.replacingOccurrences(of: "SSH SIGNATURE", with: "OPENSSH PRIVATE KEY")))
        XCTAssertThrowsError(try decode("-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n"))
        XCTAssertThrowsError(try decode(text.replacingOccurrences(of: "A", with: "*")))
        XCTAssertThrowsError(try decode(text + text))
    }
}
