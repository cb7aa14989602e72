import Foundation
import XCTest

@testable import RespaldoCore

/// How errors find their line: TOMLLineLocator on comments, quoting, arrays of tables and broken text.
final class TOMLLineLocatorTests: XCTestCase {
    func testLocatorCommentsBlankLinesAndQuotedKeys() {
        let text = """
            # header comment
            local_dir = "/a"   # trailing comment with key = "value"

              "state_dir" = '/b'
            'time zone' = "x"
            [ retention ]   # comment
            # keep_last = 1
            keep_daily = 7
            """
        let locator = TOMLLineLocator(text: text)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("local_dir")])), 2)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("state_dir")])), 4)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("time zone")])), 5)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("retention")])), 6)
        XCTAssertNil(locator.line(of: TOMLPath([.key("retention"), .key("keep_last")])))
        XCTAssertEqual(locator.line(of: TOMLPath([.key("retention"), .key("keep_daily")])), 8)
        // A missing key answers with its table's header.
        XCTAssertEqual(locator.nearestLine(of: TOMLPath([.key("retention"), .key("keep_last")])), 6)
        XCTAssertNil(locator.nearestLine(of: TOMLPath([.key("nothing")])))
    }

    func testLocatorArraysOfTablesAndSubtables() {
        let text = """
            [[jobs]]
            name = "a"
            [jobs.drill]
            checks = ["x"]

            [[remotes]]
            name = "r"

            [[jobs]]
            name = "b"

            [jobs.drill]
            checks = [
              "SELECT 1 = 1",
              "name = 'x'",
            ]
            schedule = "0 3 * * 0"
            """
        let locator = TOMLLineLocator(text: text)
        let jobs = TOMLPath([.key("jobs")])
        XCTAssertEqual(locator.line(of: jobs), 1)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0)), 1)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0).appending("name")), 2)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0).appending("drill")), 3)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 0).appending("drill").appending("checks")), 4)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("remotes"), .index(0), .key("name")])), 7)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1)), 9)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("name")), 10)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("drill")), 12)
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("drill").appending("checks")), 13)
        // Text inside the multi-line array is not taken for keys; lines keep counting.
        XCTAssertNil(locator.line(of: jobs.appending(index: 1).appending("drill").appending("name")))
        XCTAssertEqual(locator.line(of: jobs.appending(index: 1).appending("drill").appending("schedule")), 17)
        XCTAssertEqual(jobs.appending(index: 1).appending("drill").appending("checks").description, "jobs[1].drill.checks")
    }

    func testLocatorMultilineStringsDottedKeysAndInlineTables() {
        let text = #"""
            description = """
            name = "not a key"
            [not.a.table]
            """
            literal = '''
            x = 1 '''
            escaped = "a \" = b # not a comment"
            [[jobs]]
            drill.checks = ["SELECT 1"]
            "quoted.key" = 1
            inline = { a = 1, b = [
              2,
            ] }
            after = 2
            """#
        let locator = TOMLLineLocator(text: text)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("description")])), 1)
        XCTAssertNil(locator.line(of: TOMLPath([.key("name")])))
        XCTAssertNil(locator.line(of: TOMLPath([.key("not")])))
        XCTAssertEqual(locator.line(of: TOMLPath([.key("literal")])), 5)
        XCTAssertNil(locator.line(of: TOMLPath([.key("x")])))
        XCTAssertEqual(locator.line(of: TOMLPath([.key("escaped")])), 7)
        let job = TOMLPath([.key("jobs"), .index(0)])
        XCTAssertEqual(locator.line(of: job), 8)
        XCTAssertEqual(locator.line(of: job.appending("drill")), 9)
        XCTAssertEqual(locator.line(of: job.appending("drill").appending("checks")), 9)
        XCTAssertEqual(locator.line(of: job.appending("quoted.key")), 10)
        XCTAssertEqual(locator.line(of: job.appending("inline")), 11)
        // Keys inside an inline table answer with the inline table's line.
        XCTAssertNil(locator.line(of: job.appending("inline").appending("b")))
        XCTAssertEqual(locator.nearestLine(of: job.appending("inline").appending("b")), 11)
        XCTAssertEqual(locator.line(of: job.appending("after")), 14)
        XCTAssertEqual(job.appending("quoted.key").description, "jobs[0].\"quoted.key\"")
    }

    func testLocatorNestedArraysOfTablesAndCRLF() {
        let text = "[[a]]\r\nx = 1\r\n[[a.b]]\r\ny = 1\r\n[[a.b]]\r\ny = 2\r\n[[a]]\r\n[[a.b]]\r\ny = 3\r\n"
        let locator = TOMLLineLocator(text: text)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(0), .key("x")])), 2)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(0), .key("b"), .index(1), .key("y")])), 6)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(1)])), 7)
        XCTAssertEqual(locator.line(of: TOMLPath([.key("a"), .index(1), .key("b"), .index(0), .key("y")])), 9)
        // A header defines its parents implicitly.
        let implicit = TOMLLineLocator(text: "# x\n[p.q.r]\ns = 1\n[p]\n")
        XCTAssertEqual(implicit.line(of: TOMLPath([.key("p")])), 2)
        XCTAssertEqual(implicit.line(of: TOMLPath([.key("p"), .key("q")])), 2)
        XCTAssertEqual(implicit.line(of: TOMLPath([.key("p"), .key("q"), .key("r"), .key("s")])), 3)
    }

    func testLocatorSurvivesInvalidText() {
        let locator = TOMLLineLocator(text: "[unclosed\n= 3\n\"open = 1\nk = '\n[[x]]\ny = 1\n")
        XCTAssertEqual(locator.line(of: TOMLPath([.key("x"), .index(0), .key("y")])), 6)
    }
}
