import Foundation
import Logging
import XCTest

@testable import RespaldoCore

final class DumpCommandTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func passwordFile(_ password: String, mode: Int = 0o600) throws -> String {
        let path = dir + "/pw"
        try (password + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func testPostgresPasswordNeverInArgv() throws {
        let source = DatabaseSource(database: "crm", host: "127.0.0.1", port: 5433, user: "backup",
                                    dumpArgs: ["--no-owner"], passwordFile: try passwordFile("s3cr:t\\x"))
        let command = try DumpCommand.make(for: .postgres(source), runDirectory: dir)
        XCTAssertEqual(command.argv, ["pg_dump", "--format=plain", "--no-password", "--host=127.0.0.1", "--port=5433",
                                      "--username=backup", "--no-owner", "--dbname=crm"])
        XCTAssertFalse(command.argv.joined().contains("s3cr"))
        XCTAssertEqual(command.environment["PGPASSFILE"], dir + "/pgpass")
        XCTAssertEqual(command.secretFiles.first?.contents, "*:*:*:*:s3cr\\:t\\\\x\n")
    }

    func testPasswordFileReadableByOthersIsRefused() throws {
        let source = DatabaseSource(database: "crm", passwordFile: try passwordFile("pw", mode: 0o644))
        XCTAssertThrowsError(try DumpCommand.make(for: .postgres(source), runDirectory: dir))
    }

    func testMysqlCredentialsGoToADefaultsFileFirst() throws {
        let source = DatabaseSource(database: "shop", host: "db", port: 3306, user: "bk", passwordFile: try passwordFile("p\"w"))
        let command = try DumpCommand.make(for: .mysql(source), runDirectory: dir)
        XCTAssertEqual(command.argv[1], "--defaults-extra-file=\(dir!)/my.cnf")
        XCTAssertTrue(command.argv.contains("--single-transaction"))
        XCTAssertEqual(command.argv.last, "shop")
        XCTAssertFalse(command.argv.joined().contains("p\"w"))
        XCTAssertEqual(command.secretFiles.first?.contents, "[client]\nhost=\"db\"\nport=3306\nuser=\"bk\"\npassword=\"p\\\"w\"\n")
    }

    func testFilesSourceTarsRelativeToRoot() throws {
        let command = try DumpCommand.make(for: .files(paths: ["/etc", "/srv/uploads/"]), runDirectory: dir)
        XCTAssertEqual(command.argv, ["tar", "--create", "--file=-", "--format=posix", "--directory=/", "--", "etc", "srv/uploads/"])
        XCTAssertEqual(command.tolerableExitCodes, [0, 1])
    }

    func testCommandSourceIsArgvAsGiven() throws {
        let command = try DumpCommand.make(for: .command(argv: ["/usr/bin/dump-all", "a b"]), runDirectory: dir)
        XCTAssertEqual(command.argv, ["/usr/bin/dump-all", "a b"])
        XCTAssertEqual(command.tolerableExitCodes, [0])
    }

    func testSanityRules() throws {
        let logger = Logger(label: "test")
        var job = JobConfig(name: "j", timeZone: .gmt, source: .command(argv: ["x"]), minBytes: 100, maxShrink: 0.5)
        XCTAssertThrowsError(try DumpSanity(job: job, previous: nil, acceptShrink: false, logger: logger).check(bytes: 0, tool: "x"))
        XCTAssertThrowsError(try DumpSanity(job: job, previous: nil, acceptShrink: false, logger: logger).check(bytes: 99, tool: "x"))
        XCTAssertNoThrow(try DumpSanity(job: job, previous: nil, acceptShrink: false, logger: logger).check(bytes: 100, tool: "x"))
        XCTAssertThrowsError(try DumpSanity(job: job, previous: ("j-20260101T000000Z", 1000), acceptShrink: false, logger: logger).check(bytes: 499, tool: "x"))
        XCTAssertNoThrow(try DumpSanity(job: job, previous: ("j-20260101T000000Z", 1000), acceptShrink: false, logger: logger).check(bytes: 500, tool: "x"))
        XCTAssertNoThrow(try DumpSanity(job: job, previous: ("j-20260101T000000Z", 1000), acceptShrink: true, logger: logger).check(bytes: 499, tool: "x"),
                         "--accept-shrink lets one smaller dump through")
        XCTAssertThrowsError(try DumpSanity(job: job, previous: ("j-20260101T000000Z", 1000), acceptShrink: true, logger: logger).check(bytes: 99, tool: "x"),
                             "… but not one under min_bytes")
        job.sanity = .warn
        XCTAssertNoThrow(try DumpSanity(job: job, previous: ("j-20260101T000000Z", 1000), acceptShrink: false, logger: logger).check(bytes: 499, tool: "x"))
        XCTAssertThrowsError(try DumpSanity(job: job, previous: ("j-20260101T000000Z", 1000), acceptShrink: false, logger: logger).check(bytes: 0, tool: "x"))
    }

    func testChildProcessReportsExitAndSignal() throws {
        let ok = try ChildProcess(argv: ["sh", "-c", "echo hi; echo err >&2; exit 3"], environment: dumpEnvironment(adding: [:]))
        XCTAssertEqual(try readChunk(from: ok.stdoutFD, tool: "sh"), Array("hi\n".utf8))
        XCTAssertEqual(ok.wait(), .exited(3))
        let killed = try ChildProcess(argv: ["sleep", "30"], environment: dumpEnvironment(adding: [:]))
        killed.terminate()
        XCTAssertEqual(killed.wait(), .signaled(SIGTERM))
        XCTAssertThrowsError(try ChildProcess(argv: ["/nonexistent/tool"], environment: [:]))
    }
}
