import XCTest

@testable import RespaldoCore

/// MySQLClientCommandFilter: mariadb-dump's output passes unchanged (its own sandbox line
/// first), `\!`, `system` and every other line-start backslash command are refused with their
/// line, the same at any chunk boundary, with CRLF, and in bounded memory on a 10 MB line.
final class MySQLClientCommandFilterTests: XCTestCase {
    private let make: () -> any DumpLineFilter = { MySQLClientCommandFilter() }

    /// The shape of mariadb-dump 10.11.19's output: the sandbox line, one row per line, strings
    /// with escaped newlines and backslashes, a routine between DELIMITER lines.
    private let dump = """
        /*M!999999\\- enable the sandbox mode */
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
        --
        /*!40101 SET NAMES utf8mb4 */;
        DROP TABLE IF EXISTS `a`;
        CREATE TABLE `a` (
          `x` text DEFAULT NULL,
          `system` int(11) DEFAULT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
        INSERT INTO `a` VALUES
        ('a\\\\b',1),
        ('\\\\! x\\nsystem touch y',2),
        (NULL,3);
        DELIMITER ;;
        CREATE PROCEDURE `p`()
        BEGIN
          SELECT systemic FROM t;
          SELECT 1;
        END ;;
        DELIMITER ;
        -- Dump completed on 2026-12-01 21:29:58

        """

    private func refused(_ line: Int, _ shown: String) -> FilterOutcome {
        .refused("the dump contains a client command on line \(line) (\(shown)): refused; a dump must not run client commands")
    }

    func testMariaDBDumpPassesUnchanged() {
        XCTAssertEqual(FilterHarness.outcome(make, dump), .passed(dump))
        XCTAssertEqual(FilterHarness.outcome(make, dump.replacingOccurrences(of: "\n", with: "\r\n")),
                       .passed(dump.replacingOccurrences(of: "\n", with: "\r\n")))
    }

    func testShellCommandsAreRefusedWithTheirLine() {
        let cases: [(String, String)] = [
            ("\\! cp /etc/respaldo/dr-key.txt /tmp/x", "\\! cp /etc/respa …"),
            ("system cp /etc/respaldo/dr-key.txt /tmp/x", "system cp /etc/r …"),
            ("SYSTEM id", "SYSTEM id"),
            ("  System\tid", "System?id"),
            ("system", "system"),
            ("\\. /etc/passwd", "\\. /etc/passwd"),
            ("\\T /tmp/out", "\\T /tmp/out"),
            ("\t\\! id", "\\! id"),
        ]
        for (command, shown) in cases {
            XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\n\n\(command)\nSELECT 2;\n"), refused(3, shown), command)
        }
    }

    func testWordsThatAreNoCommandPass() {
        // `source FILE` is left to the sandbox, which refuses it (a routine's body may well
        // have a line starting with that word).
        for text in ["source /etc/passwd\n", "systemd;\n", "system_user();\n", "system;\n", "SELECT 1; \\! id\n", "  (1, 'system'),\n", "sys\n", "\n\n"] {
            XCTAssertEqual(FilterHarness.outcome(make, text), .passed(text), text)
        }
    }

    func testCRLFAndLastLineWithoutNewline() {
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\r\n\\! id\r\n"), refused(2, "\\! id"))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\r\nsystem\r\n"), refused(2, "system"))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\nsystem"), refused(2, "system"))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\n\\!"), refused(2, "\\!"))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\nsyste"), .passed("SELECT 1;\nsyste"))
    }

    func testNothingOfARefusedLineIsPassedOn() {
        let filter = MySQLClientCommandFilter()
        XCTAssertEqual(try filter.feed(Array("SELECT 1;\n  \\! i".utf8)), Array("SELECT 1;\n  ".utf8))
        XCTAssertEqual(try filter.feed(Array("d".utf8)), [])
        XCTAssertThrowsError(try filter.feed(Array("\n".utf8)))
    }

    func testTenMegabyteLinesInBoundedMemory() {
        let size = 10 << 20
        do {
            let filter = MySQLClientCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "INSERT INTO `a` VALUES ('", filler: UInt8(ascii: "\\"),
                                           count: size, suffix: "');\nSELECT 1;\n", bound: 32)
            XCTAssertNil(r.error)
            XCTAssertEqual(r.passed, size + 25 + 14)
        }
        do {
            let filter = MySQLClientCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "SELECT 1;\n", filler: UInt8(ascii: " "),
                                           count: size, suffix: "system id\n", bound: 32)
            XCTAssertEqual(r.error.map { "\($0)" }, "the dump contains a client command on line 2 (system id): refused; a dump must not run client commands")
        }
        do {
            let filter = MySQLClientCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "SELECT 1;\n\\! ", filler: UInt8(ascii: "y"),
                                           count: size, suffix: "\n", bound: 32)
            XCTAssertEqual(r.error.map { "\($0)" }, "the dump contains a client command on line 2 (\\! yyyyyyyyyyyyy …): refused; a dump must not run client commands")
            XCTAssertEqual(r.passed, 10)
            XCTAssertEqual(r.fed, 13 + 65536, "refused within the first piece of the line, not at its end")
        }
    }
}
