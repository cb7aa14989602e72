import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// A backup in progress, on record in `<state_dir>/run/<job>.active.json` from the moment its
/// run holds the job's lock until the run ends: what `status` shows as running and since
/// when, and what the next run reads to clean up after one that died without ending
/// (SIGKILL, a crash, a power cut): StaleRun.swift.
///
/// The process is named by pid *and* start time and boot, so that a pid reused after a crash
/// is never taken for the run, nor its process group killed.
struct RunActivity: Codable, Sendable, Equatable {
    var job: String
    /// respaldo's own process.
    var pid: Int32
    var pidStartTicks: UInt64?
    var bootID: String?
    var startedAt: Date
    /// The dump's process group (its leader's pid) once it started, and the leader's start time.
    var dumpGroup: Int32?
    var dumpStartTicks: UInt64?

    enum CodingKeys: String, CodingKey {
        case job, pid
        case pidStartTicks = "pid_start_ticks"
        case bootID = "boot_id"
        case startedAt = "started_at"
        case dumpGroup = "dump_group"
        case dumpStartTicks = "dump_start_ticks"
    }

    /// The record of a run starting now in this process.
    static func current(job: String, startedAt: Date = Date()) -> RunActivity {
        RunActivity(job: job, pid: getpid(), pidStartTicks: ProcFS.startTicks(getpid()), bootID: ProcFS.bootID(), startedAt: startedAt)
    }

    static func path(stateDir: String, job: String) -> String { StateDirectory(root: stateDir).activity(job: job) }

    /// True while the process that wrote the record is still that process.
    var isLive: Bool {
        guard let bootID, bootID == ProcFS.bootID(), let pidStartTicks else { return false }
        return ProcFS.startTicks(pid) == pidStartTicks
    }

    /// The record of `job`, or nil when there is none or it cannot be read (a torn write of a
    /// run that died is as good as none: the stale folder is found without it).
    static func load(stateDir: String, job: String) -> RunActivity? {
        guard let data = FileManager.default.contents(atPath: path(stateDir: stateDir, job: job)), data.count <= 1 << 16 else { return nil }
        return try? RunState.decoder().decode(RunActivity.self, from: data)
    }

    /// Writes the record (0600, replaced atomically). A run whose record cannot be written
    /// still runs: the record serves `status` and the cleanup after a crash, not the backup.
    func save(stateDir: String) throws {
        let folder = StateDirectory(root: stateDir).runs
        try makePrivateDirectory(folder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(rfc3339Milliseconds(date))
        }
        let path = Self.path(stateDir: stateDir, job: job)
        let bytes = Array(try encoder.encode(self)) + [10]
        do {
            try writeFileAtomically(bytes, to: path, temporary: path + ".\(pid).partial", mode: 0o600)
        } catch {
            throw RunActivityError(failure: error)
        }
    }

    static func remove(stateDir: String, job: String) {
        unlink(path(stateDir: stateDir, job: job))
    }
}

/// The activity record could not be written; keeps the failed step.
struct RunActivityError: Error, CustomStringConvertible {
    var failure: FileWriteFailure
    var description: String {
        "cannot \(failure.operation) \(failure.path): \(String(cString: strerror(failure.errno)))"
    }
}
