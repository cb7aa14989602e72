/// What a backup run did after its local snapshot was complete: each remote copy and each
/// prune, with its error when it failed. None of these failures unmakes the snapshot; they are
/// reported (run record, alerts, metrics) per remote, so that "the upload to geo failed" is
/// never hidden behind "the backup succeeded".
public struct BackupRun: Sendable {
    /// One step after the local snapshot.
    public struct Step: Sendable {
        /// `.upload` (a remote copy), `.prune` (retention at a location) or `.backup` (the
        /// snapshot's own bookkeeping, such as the local signed inventory).
        public var kind: OperationKind
        /// "local" or a remote's name.
        public var location: String
        public var error: RespaldoError?

        public init(kind: OperationKind, location: String, error: RespaldoError? = nil) {
            self.kind = kind
            self.location = location
            self.error = error
        }
    }

    public var manifest: Manifest
    public var steps: [Step] = []

    public init(manifest: Manifest, steps: [Step] = []) {
        self.manifest = manifest
        self.steps = steps
    }

    /// The steps that failed, as errors.
    public var failures: [RespaldoError] { steps.compactMap(\.error) }

    /// `success` when every step succeeded, else `upload_failure`: the snapshot is safe
    /// locally but not everywhere it should be.
    public var result: RunResult { failures.isEmpty ? .success : .uploadFailure }
}
