/// What a job did, as alerts, run records and metrics name it.
public enum OperationKind: String, Sendable, Codable, CaseIterable {
    case backup, upload, prune, verify, drill

    /// The word for its success: a check "passed", an action "succeeded".
    var passed: String {
        switch self {
        case .backup, .upload, .prune: "succeeded"
        case .verify, .drill: "passed"
        }
    }
}

/// How a backup run ended, as its run record, status and metrics say it.
public enum RunResult: String, Sendable, Codable, Equatable {
    /// Local snapshot, every remote copy and retention done.
    case success
    /// The local snapshot is complete, but a remote copy (or retention after it) failed.
    case uploadFailure = "upload_failure"
    /// No snapshot was made (or, for other kinds, the operation failed).
    case failure
}

/// The exit status DESIGN.md gives an error: 2 for usage and configuration errors, 75 for a
/// held lock, 1 for anything else. Usage errors are the operator's to fix at the command line:
/// they are neither alerted nor recorded as failed runs.
public func exitStatus(for error: any Error) -> Int32 {
    switch error {
    case let error as RespaldoError: error.exitStatus
    case is ConfigError: 2
    default: 1
    }
}
