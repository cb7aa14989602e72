import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a job's run state could not be read or saved.
public enum RunStateError: Error, CustomStringConvertible, Equatable {
    /// The job name cannot be a file name under `runs/`.
    case invalidJobName(String)
    /// The file exists but is not a run state this version can read.
    case corrupt(path: String, reason: String)
    /// The `runs` folder could not be made.
    case folder(path: String, reason: String)
    /// A system call failed; `operation` names it.
    case io(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidJobName(name): "cannot keep run state for job \"\(name)\": not a valid job name"
        case let .corrupt(path, reason):
            "run state file \(path) is corrupt (\(reason)); move it away to start the job's history afresh"
        case let .folder(_, reason): "cannot keep run state: \(reason)"
        case let .io(operation, path, code): "cannot \(operation) run state file \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// One finished backup or drill run.
public struct RunRecord: Codable, Sendable, Equatable {
    public var startedAt: Date
    public var finishedAt: Date
    public var success: Bool
    public var snapshot: String?
    /// Bytes of the dump as the source wrote it (a drill: as restored).
    public var plainBytes: Int64?
    /// Bytes of the stored artifact (compressed, maybe encrypted).
    public var artifactBytes: Int64?
    /// Why the run failed; never a secret (the messages that reach here name files, not contents).
    public var error: String?
    /// How a backup run ended, when `success` alone does not say it: a run whose snapshot is
    /// complete locally but did not reach a remote is `success` (its snapshot counts for
    /// catch-up and the newest good backup) with the result `upload_failure`. Nil in records
    /// written before it existed.
    public var result: RunResult?

    public init(
        startedAt: Date, finishedAt: Date, success: Bool, snapshot: String? = nil,
        plainBytes: Int64? = nil, artifactBytes: Int64? = nil, error: String? = nil, result: RunResult? = nil
    ) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.success = success
        self.snapshot = snapshot
        self.plainBytes = plainBytes
        self.artifactBytes = artifactBytes
        self.error = error
        self.result = result
    }

    public var durationSeconds: Double { finishedAt.timeIntervalSince(startedAt) }

    /// `result`, or what `success` implies for older records.
    public var outcome: RunResult { result ?? (success ? .success : .failure) }

    enum CodingKeys: String, CodingKey {
        case success, snapshot, error, result
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case plainBytes = "plain_bytes"
        case artifactBytes = "artifact_bytes"
    }
}

/// What `respaldo status` and the metrics show for a job, and what the daemon's catch-up reads:
/// the last run, the last successful run (kept when later runs fail, so a failure never hides
/// how old the newest good backup is) and the same pair for drills. Persisted as JSON in
/// `<state_dir>/runs/<job>.json`, 0600, replaced atomically.
public struct RunState: Codable, Sendable, Equatable {
    public static let formatName = "respaldo-run-state/1"

    public var format: String = RunState.formatName
    public var job: String
    public var lastRun: RunRecord?
    public var lastSuccess: RunRecord?
    public var lastDrill: RunRecord?
    public var lastDrillSuccess: RunRecord?
    /// Per remote: its last upload attempt and last successful one.
    public var uploads: [String: UploadRecord] = [:]
    /// Per location ("local", a remote): the last `verify` of the job's snapshots there.
    public var verifies: [String: RunRecord] = [:]

    /// The uploads of a job to one remote.
    public struct UploadRecord: Codable, Sendable, Equatable {
        public var last: RunRecord?
        public var lastSuccess: RunRecord?

        public init(last: RunRecord? = nil, lastSuccess: RunRecord? = nil) {
            self.last = last
            self.lastSuccess = lastSuccess
        }

        enum CodingKeys: String, CodingKey {
            case last
            case lastSuccess = "last_success"
        }
    }

    public init(job: String) {
        self.job = job
    }

    /// Files written before `uploads` and `verifies` existed still load (they are absent).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(String.self, forKey: .format)
        job = try container.decode(String.self, forKey: .job)
        lastRun = try container.decodeIfPresent(RunRecord.self, forKey: .lastRun)
        lastSuccess = try container.decodeIfPresent(RunRecord.self, forKey: .lastSuccess)
        lastDrill = try container.decodeIfPresent(RunRecord.self, forKey: .lastDrill)
        lastDrillSuccess = try container.decodeIfPresent(RunRecord.self, forKey: .lastDrillSuccess)
        uploads = try container.decodeIfPresent([String: UploadRecord].self, forKey: .uploads) ?? [:]
        verifies = try container.decodeIfPresent([String: RunRecord].self, forKey: .verifies) ?? [:]
    }

    /// When the newest good backup finished (the metric); nil if the job never succeeded.
    public var lastSuccessAt: Date? { lastSuccess?.finishedAt }

    /// Records a backup run; a successful one also becomes `lastSuccess`.
    public mutating func recordRun(_ run: RunRecord) {
        lastRun = run
        if run.success { lastSuccess = run }
    }

    /// Records a drill; a successful one also becomes `lastDrillSuccess`.
    public mutating func recordDrill(_ drill: RunRecord) {
        lastDrill = drill
        if drill.success { lastDrillSuccess = drill }
    }

    /// Records an upload attempt to `remote` (all the snapshots it owed, or one backup's copy).
    public mutating func recordUpload(_ upload: RunRecord, remote: String) {
        var record = uploads[remote] ?? UploadRecord()
        record.last = upload
        if upload.success { record.lastSuccess = upload }
        uploads[remote] = record
    }

    /// Records a verify of the job's snapshots at `location`.
    public mutating func recordVerify(_ verify: RunRecord, location: String) {
        verifies[location] = verify
    }

    enum CodingKeys: String, CodingKey {
        case format, job, uploads, verifies
        case lastRun = "last_run"
        case lastSuccess = "last_success"
        case lastDrill = "last_drill"
        case lastDrillSuccess = "last_drill_success"
    }

    // MARK: - Persistence

    public static func path(stateDir: String, job: String) -> String { StateDirectory(root: stateDir).runState(job: job) }

    /// The saved state, or an empty one when the job has never run here (no file).
    public static func load(stateDir: String, job: String) throws -> RunState {
        try checkJobName(job)
        let path = path(stateDir: stateDir, job: job)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return RunState(job: job) }
            throw RunStateError.io(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        let bytes = try readAll(fd, path: path)
        let state: RunState
        do {
            state = try decoder().decode(RunState.self, from: Data(bytes))
        } catch {
            throw RunStateError.corrupt(path: path, reason: "not valid run state JSON: \(error)")
        }
        guard state.format == formatName else {
            throw RunStateError.corrupt(path: path, reason: "format \"\(state.format)\", expected \(formatName)")
        }
        guard state.job == job else {
            throw RunStateError.corrupt(path: path, reason: "it is the state of job \"\(state.job)\"")
        }
        return state
    }

    /// Writes the state atomically (`.partial`, fsync, rename, fsync of the folder), mode 0600.
    /// Concurrent savers each leave a whole file; use `update` so that none loses the other's record.
    public func save(stateDir: String) throws {
        try Self.checkJobName(job)
        let folder = StateDirectory(root: stateDir).runStates
        try Self.makeRunsFolder(folder)
        let path = Self.path(stateDir: stateDir, job: job)
        let bytes = try stateFileJSON(self)
        do {
            // A temporary of its own, so that two savers never write into one file.
            let temporary = "\(path).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).partial"
            try writeFileAtomically(bytes, to: path, temporary: temporary, mode: 0o600)
        } catch {
            throw RunStateError.io(operation: error.operation, path: error.path, errno: error.errno)
        }
    }

    /// Load, change, save under an exclusive lock on `runs/.<job>.lock`, so that a drill and a
    /// backup of the same job finishing at once (they take different job locks) lose neither
    /// record.
    @discardableResult
    public static func update(stateDir: String, job: String, onRebuild: (RunStateError) -> Void = { _ in },
                              _ change: (inout RunState) -> Void) throws -> RunState {
        try checkJobName(job)
        let folder = StateDirectory(root: stateDir).runStates
        try makeRunsFolder(folder)
        let lockPath = "\(folder)/.\(job).lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lock >= 0 else { throw RunStateError.io(operation: "open lock", path: lockPath, errno: errno) }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw RunStateError.io(operation: "lock", path: lockPath, errno: errno) }
        }
        var state: RunState
        do {
            state = try load(stateDir: stateDir, job: job)
        } catch let error as RunStateError {
            guard case .corrupt = error else { throw error }
            // One job's damaged file must not stop its records for good: it is kept aside for
            // inspection and the state starts again from this record.
            let path = path(stateDir: stateDir, job: job)
            rename(path, path + ".corrupt")
            onRebuild(error)
            state = RunState(job: job)
        }
        change(&state)
        try state.save(stateDir: stateDir)
        return state
    }

    /// The saved state, or an empty one with the reason when the file cannot be used: one
    /// job's unreadable or damaged file affects that job only (principle 8).
    public static func loadReporting(stateDir: String, job: String) -> (state: RunState, problem: (any Error)?) {
        do {
            return (try load(stateDir: stateDir, job: job), nil)
        } catch {
            return (RunState(job: job), error)
        }
    }

    private static func makeRunsFolder(_ folder: String) throws {
        do {
            try makePrivateDirectory(folder)
        } catch {
            throw RunStateError.folder(path: folder, reason: "\(error)")
        }
    }

    static func checkJobName(_ job: String) throws {
        // Config allows letters, digits, '_' and '-'; anything else could leave runs/.
        let allowed = job.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        guard !job.isEmpty, allowed else { throw RunStateError.invalidJobName(job) }
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseRFC3339(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }

    private static func readAll(_ fd: Int32, path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RunStateError.io(operation: "read", path: path, errno: errno)
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            // A run state is a few hundred bytes; refuse to slurp something else without bound.
            guard bytes.count <= 1 << 20 else { throw RunStateError.corrupt(path: path, reason: "larger than 1 MiB") }
        }
    }
}

/// A state file's bytes: sorted, pretty-printed JSON with RFC 3339 millisecond times and one
/// trailing newline (run states, alert history, the daemon record).
func stateFileJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339Milliseconds(date))
    }
    return Array(try encoder.encode(value)) + [10]
}

/// RFC 3339 UTC with milliseconds: run durations need sub-second precision.
func rfc3339Milliseconds(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}
