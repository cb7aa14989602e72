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
