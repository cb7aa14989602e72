import Foundation
import XCTest

@testable import RespaldoCore

/// What the daemon learns from a run it started: the error itself, not its text, so whoever
/// reads the outcome can still ask what caused it; the log line stays as it was.
final class TaskOutcomeTests: XCTestCase {
    /// The testbed's job "notes", and "crm", whose dump fails.
    private func testbed() throws -> JobTestbed {
        try JobTestbed(extraJob: """

            [[jobs]]
            name = "crm"
            source = "command"
            command = ["sh", "-c", "echo partial; exit 3"]
            """)
    }

    func testAFailedRunKeepsItsError() throws {
        let bed = try testbed()
        let outcome = TaskRunner(env: bed.env, shouldStop: { true }, alerter: nil).run(DaemonTask(job: "crm", kind: .backup))
        XCTAssertEqual(outcome.result, .failure)
        let error = try XCTUnwrap(outcome.error as? RespaldoError, "\(String(describing: outcome.error))")
        guard case let .operationFailed(failure) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(failure.operation, "backup")
        XCTAssertTrue(error.rootCause is SourceError, "the dump's own error is there: \(error.rootCause)")
        XCTAssertTrue("\(error)".hasPrefix("backup crm-") && "\(error)".contains(" failed: "), "\(error)")
    }

    func testAJobGoneFromTheConfigurationIsAFailure() throws {
        let bed = try testbed()
        let outcome = TaskRunner(env: bed.env, shouldStop: { true }, alerter: nil).run(DaemonTask(job: "web", kind: .backup))
        XCTAssertEqual(outcome.result, .failure)
        XCTAssertEqual(outcome.error.map { "\($0)" }, "job web is no longer in \(bed.root)/respaldo.toml")
    }

    func testSeveralFailedCopiesAreSaidOnOneLine() {
        let copies = RunFailures(errors: [.failed("upload of crm-1 to geo failed: refused"), .failed("upload of crm-1 to dr failed: timeout")])
        XCTAssertEqual(copies.description, "upload of crm-1 to geo failed: refused; upload of crm-1 to dr failed: timeout")
    }
}
