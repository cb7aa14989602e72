import RespaldoCore
import Storage
import XCTest

@testable import respaldo

/// Each kind of error ends the command with the status DESIGN.md gives it, and a wrapper
/// ends it as the failure of its own operation, whatever it wraps.
final class ExitStatusTests: XCTestCase {
    func testEachCaseHasItsStatus() {
        XCTAssertEqual(ExitStatus.of(RespaldoError.usage("no job \"crn\" in /etc/respaldo/respaldo.toml")), 2)
        XCTAssertEqual(ExitStatus.of(RespaldoError.locked(job: "crm", lockFile: "/var/lib/respaldo/locks/crm.lock")), 75)
        XCTAssertEqual(ExitStatus.of(RespaldoError.failed("pg_dump exited 1")), 1)
        let refused = StorageError.permissionDenied(location: "geo", name: "crm", detail: "read-only share")
        XCTAssertEqual(ExitStatus.of(RespaldoError.operationFailed(.init(operation: "upload", object: "crm-1 to geo", cause: refused))), 1)
    }

    func testAWrappedLockIsTheFailureOfItsOperation() {
        let lock = RespaldoError.locked(job: "crm", lockFile: "/var/lib/respaldo/locks/crm.lock")
        let wrapped = RespaldoError.operationFailed(.init(operation: "record", object: "the backup of job crm", cause: lock))
        XCTAssertEqual(ExitStatus.of(wrapped), 1)
        XCTAssertFalse(wrapped.isLockHeld)
        XCTAssertTrue((wrapped.rootCause as? RespaldoError)?.isLockHeld == true, "the lock is still reachable")
    }

    func testKindsOfOtherErrors() {
        XCTAssertEqual(ExitStatus.of(RespaldoError.kind(of: ConfigError(kind: .invalidValue, file: "/etc/respaldo/respaldo.toml", message: "x"))), 2)
        XCTAssertEqual(ExitStatus.of(RespaldoError.kind(of: StorageError.cancelled(location: "geo"))), 1)
    }
}
