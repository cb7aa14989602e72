import XCTest

@testable import RespaldoCore

/// PsqlMetaCommandFilter: pg_dump's own `\restrict`/`\unrestrict` lines dropped, COPY data
/// untouched, every other line-start meta-command refused with its line, the same at any chunk
/// boundary, with CRLF, and in bounded memory on a 10 MB line.
final class PsqlMetaCommandFilterTests: XCTestCase {
    private let make: () -> any DumpLineFilter = { PsqlMetaCommandFilter() }
    private let key = "HxzVgDNEpU8hQzZmrVIiqsg90t3C0MP6Hd6mbU3zgHNpnOUjgjWW32Gy6jjr51a"

    /// The shape of pg_dump 15.18's plain output, with COPY data lines that start with a
    /// backslash (an escaped backslash, a NULL) and a `\.`-looking value.
    private var dump: String {
        """
        --
        -- PostgreSQL database dump
        --

        \\restrict \(key)

        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;
        SELECT pg_catalog.set_config('search_path', '', false);

        CREATE TABLE public.a (
            x text,
            y integer
        );

        COPY public.a (x, y) FROM stdin;
        a\\\\b\t1
        \\\\! x\t2
        \\N\t3
        \\\\.\t4
        \\restrict not-a-command\t5
        \\.

        CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$SELECT 'x \\\\! y'$$;

        --
        -- PostgreSQL database dump complete
        --

        \\unrestrict \(key)

        """
    }

    private func withoutRestrictLines(_ text: String) -> String {
        text.replacingOccurrences(of: "\\restrict \(key)\n", with: "").replacingOccurrences(of: "\\unrestrict \(key)\n", with: "")
            .replacingOccurrences(of: "\\restrict \(key)\r\n", with: "").replacingOccurrences(of: "\\unrestrict \(key)\r\n", with: "")
    }

    func testPgDumpsRestrictLinesAreDroppedAndCopyDataKept() {
        let outcome = FilterHarness.outcome(make, dump)
        XCTAssertEqual(outcome, .passed(withoutRestrictLines(dump)))
        guard case let .passed(text) = outcome else { return }
        XCTAssertFalse(text.contains("\\restrict \(key)") || text.contains("\\unrestrict"), "pg_dump's lines are gone")
        XCTAssertTrue(text.contains("\n\\\\! x\t2\n") && text.contains("\n\\N\t3\n") && text.contains("\n\\restrict not-a-command\t5\n"),
                      "COPY data lines starting with a backslash are kept")
    }

    func testShellEscapeIsRefusedWithItsLine() {
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\n\\! cp /etc/respaldo/dr-key.txt /tmp/x\nSELECT 2;\n"),
                       .refused("the dump contains a psql meta-command on line 2 (\\! cp /etc/respa …): refused; a dump must not run client commands"))
    }

    func testMetaCommandsThatRunProgramsOrReadFilesAreRefused() {
        let cases: [(String, String)] = [
            ("\\o |sh -c id", "\\o |sh -c id"),
            ("\\copy (SELECT 1) TO PROGRAM 'id'", "\\copy (SELECT 1) …"),
            ("\\i /etc/passwd", "\\i /etc/passwd"),
            ("\\ir x.sql", "\\ir x.sql"),
            ("\\set x `id`", "\\set x `id`"),
            ("  \\! id", "\\! id"),
            ("\t\\! id", "\\! id"),
            ("\\!", "\\!"),
            ("\\", "\\"),
            // pg_dump's lines only as pg_dump writes them.
            ("  \\restrict \(key)", "\\restrict HxzVgD …"),
            ("\\restrict not-a-key!", "\\restrict not-a- …"),
            ("\\restrict ", "\\restrict"),
            ("\\restrict  \(key)", "\\restrict  HxzVg …"),
            ("\\unrestrict \(key) \\! id", "\\unrestrict HxzV …"),
        ]
        for (command, shown) in cases {
            XCTAssertEqual(FilterHarness.outcome(make, "\\restrict \(key)\nSELECT 1;\n\n\(command)\nSELECT 2;\n"),
                           .refused("the dump contains a psql meta-command on line 4 (\(shown)): refused; a dump must not run client commands"), command)
        }
    }

    func testEveryLineStartingWithABackslashOutsideCopyDataIsRefused() {
        // After the COPY block has ended, a backslash line is a command again.
        let text = "COPY public.a (x) FROM stdin;\n\\N\n\\.\n\\N\n"
        XCTAssertEqual(FilterHarness.outcome(make, text),
                       .refused("the dump contains a psql meta-command on line 4 (\\N): refused; a dump must not run client commands"))
        // COPY to stdout or a COPY without FROM stdin: no data follows.
        XCTAssertEqual(FilterHarness.outcome(make, "COPY public.a TO stdout;\n\\! id\n"),
                       .refused("the dump contains a psql meta-command on line 2 (\\! id): refused; a dump must not run client commands"))
        // `\.` with blanks or more on its line does not end COPY data (psql's own test).
        let still = "COPY public.a (x) FROM stdin;\n\\. \n\\.x\n \\.\n\\! kept as data\n\\.\n"
        XCTAssertEqual(FilterHarness.outcome(make, still), .passed(still))
    }

    func testCopyStatementOverSeveralLines() {
        let text = "COPY public.\"a\nb\" (x)\n    FROM stdin;\n\\N\n\\.\nSELECT 1;\n"
        XCTAssertEqual(FilterHarness.outcome(make, text), .passed(text))
        let lower = "copy public.a (x) from STDIN;  \n\\N\n\\.\n"
        XCTAssertEqual(FilterHarness.outcome(make, lower), .passed(lower))
    }

    func testMidLineMetaCommandIsLeftToPsql() {
        // Not the filter's to see: psql's restricted mode refuses it.
        let text = "SELECT 1; \\! id\n"
        XCTAssertEqual(FilterHarness.outcome(make, text), .passed(text))
    }

    func testCRLF() {
        let crlf = dump.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(FilterHarness.outcome(make, crlf), .passed(withoutRestrictLines(crlf)))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\r\n\\! id\r\n"),
                       .refused("the dump contains a psql meta-command on line 2 (\\! id): refused; a dump must not run client commands"))
        // `\.` + CRLF ends COPY data, as in psql.
        XCTAssertEqual(FilterHarness.outcome(make, "COPY a FROM stdin;\r\n\\N\r\n\\.\r\n\\! id\r\n"),
                       .refused("the dump contains a psql meta-command on line 4 (\\! id): refused; a dump must not run client commands"))
    }

    func testLastLineWithoutNewline() {
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\n\\unrestrict \(key)"), .passed("SELECT 1;\n"))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\n\\! id"),
                       .refused("the dump contains a psql meta-command on line 2 (\\! id): refused; a dump must not run client commands"))
        XCTAssertEqual(FilterHarness.outcome(make, "SELECT 1;\n  "), .passed("SELECT 1;\n  "))
        XCTAssertEqual(FilterHarness.outcome(make, ""), .passed(""))
    }

    func testTenMegabyteLinesInBoundedMemory() {
        let size = 10 << 20
        let bound = PsqlMetaCommandFilter.maxCommandBytes + 64
        do {  // SQL
            let filter = PsqlMetaCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "INSERT INTO a VALUES ('", filler: UInt8(ascii: "x"),
                                           count: size, suffix: "');\nSELECT 1;\n", bound: bound)
            XCTAssertNil(r.error)
            XCTAssertEqual(r.passed, size + 23 + 14)
        }
        do {  // COPY data
            let filter = PsqlMetaCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "COPY a (x) FROM stdin;\n\\\\", filler: UInt8(ascii: "\\"),
                                           count: size, suffix: "\n\\.\n", bound: bound)
            XCTAssertNil(r.error)
            XCTAssertEqual(r.passed, size + 25 + 4)
        }
        do {  // a meta-command: refused once it is longer than any pg_dump line, nothing passed
            let filter = PsqlMetaCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "SELECT 1;\n\\! ", filler: UInt8(ascii: "y"),
                                           count: size, suffix: "\n", bound: bound)
            XCTAssertEqual(r.error.map { "\($0)" }, "the dump contains a psql meta-command on line 2 (\\! yyyyyyyyyyyyy …): refused; a dump must not run client commands")
            XCTAssertEqual(r.passed, 10, "only the line before it passed")
            XCTAssertEqual(r.fed, 13 + 65536, "refused within the first piece of the line, not at its end")
        }
        do {  // blanks before a command
            let filter = PsqlMetaCommandFilter()
            let r = FilterHarness.longLine(filter, heldBytes: { filter.heldBytes }, prefix: "", filler: UInt8(ascii: " "),
                                           count: size, suffix: "\\restrict \(key)\n", bound: bound)
            XCTAssertEqual(r.error.map { "\($0)" }, "the dump contains a psql meta-command on line 1 (\\restrict HxzVgD …): refused; a dump must not run client commands")
        }
    }

    func testExcerptIsPrintableASCII() {
        XCTAssertEqual(FilterHarness.run(make, "\\! \u{1b}[2J\u{7}é\n"),
                       .refused("the dump contains a psql meta-command on line 1 (\\! ?[2J???): refused; a dump must not run client commands"))
    }
}
