import ArgumentParser
import Foundation
import RespaldoCore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List complete snapshots: where each is stored, its age and sizes, and totals per location.",
        discussion: """
            Without --remote, lists the local folder and, from the recorded state (no \\
            connection: what each remote held when respaldo last uploaded there, compared or \\
            pruned), which remotes hold each snapshot and which still wait for it. With \\
            --remote NAME, connects and lists what that remote holds.

            Examples:
              respaldo list
              respaldo list crm
              respaldo list crm --remote geo
              respaldo list --json | jq -r '.[] | select(.pending != []) | .id'
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this job's snapshots.", completion: .custom(Completions.jobs))
    var job: String?

    @Option(help: ArgumentHelp("List this remote's snapshots (connecting to it) instead of the recorded state.", valueName: "NAME"),
            completion: .custom(Completions.remotes))
    var remote: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let env = try global.loadEnvironment()
        let config = env.config
        let now = env.clock.now()
        let (snapshots, problems) = try Repository.open(env, remote: remote).audit(job: job)
        defer { problems.forEach { logger.error("\($0)") } }
        var where_ = SnapshotLocations(snapshots: snapshots, location: remote ?? "local")
        var recorded: [String: String] = [:]
        if remote == nil {
            let pending = env.state.pending
            for job in try config.jobs(named: job) {
                for name in job.remotes {
                    if let record = RemoteCopies.load(stateDir: env.state.root, remote: name, job: job.name) {
                        where_.add(record.copies, job: job.name, location: name)
                        recorded[name] = min(recorded[name] ?? record.updatedAt, record.updatedAt)
                    }
                    where_.markPending(pending.ids(remote: name, job: job.name), location: name)
                }
            }
        }
        let entries = where_.entries(now: now)
        if json {
            try printJSON(entries)
        } else if entries.isEmpty {
            emit("no snapshots")
        } else {
            printTable(entries)
            emit(where_.totals(recorded: recorded))
        }
        if !problems.isEmpty {
            throw RespaldoError.failed("\(problems.count) problem\(problems.count == 1 ? "" : "s") found in \(remote.map { "remote \($0)" } ?? "the local folder"); the snapshots concerned are not listed")
        }
    }

    private func printTable(_ entries: [SnapshotLocations.Entry]) {
        printAligned([["ID", "FINISHED (UTC)", "AGE", "DUMP", "STORED", "ENCRYPTION", "WHERE"]] + entries.map {
            [$0.id, $0.finishedAt, $0.ageSeconds.map(describeAge) ?? "?", formatBytes($0.plainBytes), formatBytes($0.artifactBytes), $0.encryption,
             $0.locations.joined(separator: ", ") + ($0.pending.isEmpty ? "" : ($0.locations.isEmpty ? "" : "; ") + $0.pending.map { "\($0): pending" }.joined(separator: ", "))]
        })
    }
}

/// Every snapshot `list` knows of, with the locations that hold it and those it is pending
/// for: the store listed, plus what each remote held when last looked at.
struct SnapshotLocations {
    struct Entry: Encodable {
        var id: String
        var job: String
        var startedAt: String
        var finishedAt: String
        var ageSeconds: Double?
        var plainBytes: Int64
        var artifactBytes: Int64
        var artifact: String
        var encrypted: Bool
        var encryption: String
        /// "local" and remotes' names, where the snapshot is (for remotes: was, when last looked at).
        var locations: [String]
        /// Remotes that have not received it yet.
        var pending: [String]

        enum CodingKeys: String, CodingKey {
            case id, job, artifact, encrypted, encryption, locations, pending
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case ageSeconds = "age_seconds"
            case plainBytes = "plain_bytes"
            case artifactBytes = "artifact_bytes"
        }
    }

    private var byID: [String: Entry] = [:]
    /// The locations in the order they came, for the totals.
    private var order: [String] = []

    init(snapshots: [Snapshot], location: String) {
        order = [location]
        for snapshot in snapshots {
            let m = snapshot.manifest
            byID[m.id] = Entry(id: m.id, job: m.job, startedAt: m.startedAt, finishedAt: m.finishedAt, plainBytes: m.plain.bytes,
                               artifactBytes: m.artifact.bytes, artifact: m.artifact.name, encrypted: m.isEncrypted,
                               encryption: m.artifact.encryption, locations: [location], pending: [])
        }
    }

    mutating func add(_ copies: [RemoteCopies.Copy], job: String, location: String) {
        if !order.contains(location) { order.append(location) }
        for copy in copies {
            if byID[copy.id] == nil {
                byID[copy.id] = Entry(id: copy.id, job: job, startedAt: copy.startedAt, finishedAt: copy.finishedAt, plainBytes: copy.plainBytes,
                                      artifactBytes: copy.artifactBytes, artifact: copy.artifact, encrypted: copy.encryption != "none",
                                      encryption: copy.encryption, locations: [], pending: [])
            }
            if !byID[copy.id]!.locations.contains(location) { byID[copy.id]!.locations.append(location) }
        }
    }

    mutating func markPending(_ ids: [String], location: String) {
        if !order.contains(location) { order.append(location) }
        for id in ids where byID[id] != nil {
            byID[id]!.locations.removeAll { $0 == location }
            if !byID[id]!.pending.contains(location) { byID[id]!.pending.append(location) }
        }
    }

    func entries(now: Date) -> [Entry] {
        byID.values.sorted { ($0.job, $0.id) < ($1.job, $1.id) }.map { entry in
            var entry = entry
            entry.ageSeconds = parseRFC3339(entry.finishedAt).map { (now.timeIntervalSince($0) * 10).rounded() / 10 }
            return entry
        }
    }

    /// "3 snapshots of 1 job; local: 2 (1.2 GiB), geo: 2 (1.1 GiB, recorded 2026-12-01T01:05:00Z); pending: geo 1".
    func totals(recorded: [String: String]) -> String {
        let entries = Array(byID.values)
        let jobs = Set(entries.map(\.job)).count
        var parts: [String] = []
        for location in order {
            let held = entries.filter { $0.locations.contains(location) }
            guard !held.isEmpty || recorded[location] != nil else { continue }
            let bytes = formatBytes(held.reduce(0) { $0 + $1.artifactBytes })
            parts.append("\(location): \(held.count) (\(bytes)\(recorded[location].map { ", recorded \($0)" } ?? ""))")
        }
        let pending = order.compactMap { location -> String? in
            let count = entries.filter { $0.pending.contains(location) }.count
            return count == 0 ? nil : "\(location) \(count)"
        }
        return "\(entries.count) snapshot\(entries.count == 1 ? "" : "s") of \(jobs) job\(jobs == 1 ? "" : "s"); " + parts.joined(separator: ", ")
            + (pending.isEmpty ? "" : "; pending: " + pending.joined(separator: ", "))
    }
}
