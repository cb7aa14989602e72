import Foundation
import Storage
import XCTest

@testable import RespaldoCore

final class OrphansTests: XCTestCase {
    private func objects(_ names: [String]) -> [StoredObject] { names.map { StoredObject(name: "crm/" + $0, size: 1) } }

    func testOnlyOldSnapshotFilesWithoutManifestAreOrphans() {
        let listing = objects([
            "crm-20260101T010000Z.sql.gz.age", "crm-20260101T010000Z.manifest.json",       // complete
            "crm-20260102T010000Z.sql.gz.age",                                             // orphan artifact
            "crm-20260102T020000Z.dump.gz",                                                // orphan, another kind
            "crm-20260103T010000Z.manifest.json.sig",                                      // orphan signature
            "crm-20260104T010000Z.sql.gz.age", "crm-20260104T010000Z.manifest.json.sig",   // newest complete
            "crm-20260104T010000Z.manifest.json",
            "crm-20260105T010000Z.sql.gz.age",                                             // newer: a run in progress?
            "crm-20260103T050000Z.sql.gz.age",                                             // pending upload: kept
            "inventory-000000000003.json", "inventory-000000000003.json.sig",              // signed inventories
            "crm-20260102T030000Z.sql.gz.age.bak", "crm-2026.sql.gz", "notes.txt",          // not snapshot files
            "web-20260101T010000Z.sql.gz",                                                  // another job's id
        ])
        XCTAssertEqual(Orphans.find(in: listing, job: "crm", newest: SnapshotID("crm-20260104T010000Z"), keep: ["crm-20260103T050000Z"]), [
            "crm/crm-20260102T010000Z.sql.gz.age",
            "crm/crm-20260102T020000Z.dump.gz",
            "crm/crm-20260103T010000Z.manifest.json.sig",
        ])
    }

    func testNothingIsAnOrphanWithoutACompleteSnapshot() {
        XCTAssertEqual(Orphans.find(in: objects(["crm-20260102T010000Z.sql.gz.age"]), job: "crm", newest: nil), [])
    }

    /// A damaged manifest still claims its id: its artifact is reported by verify, not deleted.
    func testADamagedSnapshotIsNotAnOrphan() {
        let listing = objects([
            "crm-20260101T010000Z.sql.gz", "crm-20260101T010000Z.manifest.json",
            "crm-20260102T010000Z.sql.gz", "crm-20260102T010000Z.manifest.json",
        ])
        XCTAssertEqual(Orphans.find(in: listing, job: "crm", newest: SnapshotID("crm-20260102T010000Z")), [])
    }

    func testJobNamesWithDashesDoNotCapture() {
        let listing = objects(["db-x-20260101T010000Z.sql.gz", "db-20260102T010000Z.sql.gz", "db-20260102T010000Z.manifest.json"])
        XCTAssertEqual(Orphans.find(in: listing.map { StoredObject(name: $0.name.replacingOccurrences(of: "crm/", with: "db/"), size: 1) },
                                    job: "db", newest: SnapshotID("db-20260102T010000Z")), [])
    }
}
