import Foundation
import Logging
import XCTest

@testable import RespaldoCore

/// The drill's pure parts: scratch names, count comparison, the dump_args that disable
/// counting, the MySQL client's output parsing, and the manifest's optional `tables`.
final class DrillUnitTests: XCTestCase {
    func testScratchNamesOfOneJobAreNotAnotherJobs() {
        let time = Date(timeIntervalSince1970: 1_795_000_000)
        XCTAssertTrue(ScratchName.isScratch(ScratchName.make(job: "crm", time: time), ofJob: "crm"))
        XCTAssertFalse(ScratchName.isScratch(ScratchName.make(job: "crm-eu", time: time), ofJob: "crm"), "crm must not take crm-eu's folders")
        XCTAssertFalse(ScratchName.isScratch("respaldo_drill_crm_2026", ofJob: "crm"))
    }

    func testScratchNameIsASafeIdentifierOfBoundedLength() {
        let time = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z
        XCTAssertEqual(ScratchName.make(job: "crm", time: time), "respaldo_drill_crm_20261118110640")
        XCTAssertEqual(ScratchName.make(job: "Web-Shop.eu", time: time), "respaldo_drill_web_shop_eu_20261118110640")
        let long = ScratchName.make(job: String(repeating: "x", count: 200), time: time)
        XCTAssertEqual(long.utf8.count, 63, "PostgreSQL's identifier limit")
        XCTAssertTrue(long.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
        XCTAssertTrue(ScratchName.make(job: "ünï", time: time).hasPrefix("respaldo_drill__n__"), "non-ASCII becomes _")
    }

    func testRowCountComparisonNamesEachDifference() {
        let recorded = [
            TableRowCount(schema: "public", name: "a", rows: 3),
            TableRowCount(schema: "public", name: "b", rows: 5),
            TableRowCount(schema: "other", name: "a", rows: 7),
        ]
        let restored = [
            TableRowCount(schema: "public", name: "a", rows: 3),
            TableRowCount(schema: "public", name: "b", rows: 4),
            TableRowCount(schema: "public", name: "extra", rows: 1),
        ]
        let checks = RowCountComparison.checks(recorded: recorded, restored: restored, matchSchema: true)
        XCTAssertEqual(checks.map(\.name), ["public.a", "public.b", "other.a"])
        XCTAssertEqual(checks.map(\.ok), [true, false, false])
        XCTAssertEqual(checks[1].detail, "4 rows restored, 5 at dump time")
        XCTAssertTrue(checks[2].detail.contains("missing"))
        // MySQL compares by name only: the scratch database has another name.
        let byName = RowCountComparison.checks(recorded: [TableRowCount(schema: "shop", name: "b", rows: 4)], restored: restored, matchSchema: false)
        XCTAssertEqual(byName.map(\.ok), [true])
    }

    func testDumpArgsThatChangeTheRowsDisableCounting() {
        let logger = Logger(label: "test")
        let command = DumpCommand(argv: ["pg_dump"])
        for args in [["--table=orders"], ["-t", "orders"], ["-torders"], ["--exclude-table-data=logs"], ["--schema-only"], ["--snapshot=x"]] {
            let source = SourceConfig.postgres(DatabaseSource(database: "db", dumpArgs: args))
            XCTAssertNil(RowCounts.begin(for: source, command: command, logger: logger), "\(args)")
        }
        for args in [["--where=id<10"], ["--ignore-table=db.t"], ["--lock-all-tables"], ["-x"]] {
            let source = SourceConfig.mysql(DatabaseSource(database: "db", dumpArgs: args))
            XCTAssertNil(RowCounts.begin(for: source, command: DumpCommand(argv: ["mysqldump", "--defaults-extra-file=/x"]), logger: logger), "\(args)")
        }
        XCTAssertNil(RowCounts.begin(for: .files(paths: ["/etc"]), command: command, logger: logger))
        XCTAssertNil(RowCounts.begin(for: .command(argv: ["true"]), command: command, logger: logger))
    }

    func testMySQLOutputParsing() throws {
        // "t1", "we`ird" and "ta\tb" hex-encoded, as the list query returns them.
        let names = try MySQLClient.decodeTableNames(["7431", "776560697264", "746109620A"], operation: "test")
        XCTAssertEqual(names, ["t1", "we`ird", "ta\tb\n"])
        XCTAssertEqual(MySQLClient.countQuery(["t1", "we`ird"]), "SELECT 0, COUNT(*) FROM `t1` UNION ALL SELECT 1, COUNT(*) FROM `we``ird`;")
        XCTAssertNil(MySQLClient.countQuery([]))
        let counts = try MySQLClient.decodeCounts(["1\t7", "0\t3"], tables: ["t1", "t2"], schema: "shop", operation: "test")
        XCTAssertEqual(counts, [TableRowCount(schema: "shop", name: "t1", rows: 3), TableRowCount(schema: "shop", name: "t2", rows: 7)])
        XCTAssertThrowsError(try MySQLClient.decodeCounts(["0\t3"], tables: ["t1", "t2"], schema: "shop", operation: "test"))
        XCTAssertThrowsError(try MySQLClient.decodeTableNames(["7G"], operation: "test"))
    }

    func testPostgresCountsDecode() throws {
        let counts = try PostgresClient.decodeCounts([#"[{"name": "ta\nb", "rows": 2, "schema": "we ird"}]"#], operation: "test")
        XCTAssertEqual(counts, [TableRowCount(schema: "we ird", name: "ta\nb", rows: 2)])
        XCTAssertEqual(try PostgresClient.decodeCounts(["[]"], operation: "test"), [])
        XCTAssertThrowsError(try PostgresClient.decodeCounts(["ERROR"], operation: "test"))
        XCTAssertEqual(PostgresClient.quoteIdentifier(#"a"b"#), #""a""b""#)
    }

    /// Older manifests have no `tables`: they still decode, and one without counts encodes
    /// without the key (the format name stays respaldo-manifest/1).
    func testManifestTablesAreOptional() throws {
        var manifest = Manifest(
            format: Manifest.formatName, id: "db-20261121T070000Z", job: "db", host: "h", source: .init(kind: "postgres", argv: ["pg_dump"]),
            startedAt: "2026-11-21T07:00:00Z", finishedAt: "2026-11-21T07:00:01Z", plain: .init(bytes: 1, sha256: "00"),
            artifact: .init(name: "a", bytes: 1, sha256: "00", compression: "gzip", level: 6, encryption: "none", recipients: []),
            respaldoVersion: "0.1.0")
        let without = String(decoding: try manifest.encoded(), as: UTF8.self)
        XCTAssertFalse(without.contains("tables"))
        XCTAssertNil(try Manifest.decode(Array(without.utf8), name: "m").tables)
        manifest.tables = [TableRowCount(schema: "public", name: "t", rows: 42)]
        let with = try manifest.encoded()
        XCTAssertEqual(try Manifest.decode(with, name: "m").tables, manifest.tables)
        XCTAssertTrue(String(decoding: with, as: UTF8.self).contains(Manifest.formatName))
    }

    func testReportJSONNamesPhasesInSeconds() throws {
        var phases = DrillPhases()
        phases.total = 1.5
        let report = DrillReport(
            snapshot: "db-20261121T070000Z", job: "db", location: "geo", source: "postgres", target: "t", ok: true,
            startedAt: "", finishedAt: "", snapshotFinishedAt: "", recoveryPointAgeSeconds: 60, artifactBytes: 1, plainBytes: 2,
            phases: phases, automaticChecks: "", checks: [DrillCheck(kind: "sql", name: "q", ok: false, detail: "returned \"f\"")],
            error: nil, scratchRemoved: true)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let encodedPhases = object?["phases"] as? [String: Any]
        XCTAssertEqual(encodedPhases?["total_seconds"] as? Double, 1.5)
        XCTAssertNotNil(encodedPhases?["fetch_verify_seconds"])
        XCTAssertNotNil(encodedPhases?["decrypt_decompress_seconds"])
        XCTAssertEqual(object?["recovery_point_age_seconds"] as? Double, 60)
        XCTAssertEqual(report.problems, ["sql q: returned \"f\""])
        XCTAssertTrue(report.summary.contains("FAIL sql q"))
    }
}
