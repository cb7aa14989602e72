import ArgumentParser
import Foundation
import RespaldoCore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List complete snapshots with sizes, time and where they are stored.",
        discussion: """
            Without --remote, lists the local folder and, from the recorded state (no \
            connection), which remotes hold each snapshot and which still wait for it. With \
            --remote NAME, connects and lists what that remote holds.

            Examples:
              respaldo list
              respaldo list crm
              respaldo list crm --remote geo
              respaldo list --json | jq '.[] | select(.job == "crm") | .id'
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this job's snapshots.")
    var job: String?

    @Option(help: ArgumentHelp("List this remote's snapshots instead of the local folder's.", valueName: "NAME"))
    var remote: String?

    @Flag(help: "Print JSON.")
    var json = false

    struct Entry: Encodable {
        var id: String
        var job: String
        var startedAt: String
        var finishedAt: String
        var plainBytes: Int64
        var artifactBytes: Int64
        var artifact: String
        var encrypted: Bool
        var encryption: String
        var locations: [String]

        enum CodingKeys: String, CodingKey {
            case id, job, artifact, encrypted, encryption, locations
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case plainBytes = "plain_bytes"
            case artifactBytes = "artifact_bytes"
        }
    }

    func run() throws {
        let config = try global.loadConfig()
        let (snapshots, problems) = try Repository.open(config, remote: remote, logger: logger).audit(job: job)
        defer { problems.forEach { logger.error("\($0)") } }
        let entries = snapshots.map { snapshot in
            let m = snapshot.manifest
            return Entry(id: m.id, job: m.job, startedAt: m.startedAt, finishedAt: m.finishedAt,
                         plainBytes: m.plain.bytes, artifactBytes: m.artifact.bytes, artifact: m.artifact.name,
                         encrypted: m.isEncrypted, encryption: m.artifact.encryption, locations: [snapshot.location])
        }
        if json {
            try printJSON(entries)
        } else if entries.isEmpty {
            emit("no snapshots")
        } else {
            printTable(entries)
        }
        if !problems.isEmpty {
            throw RespaldoError.failed("\(problems.count) problem\(problems.count == 1 ? "" : "s") found in \(remote.map { "remote \($0)" } ?? "the local folder"); the snapshots concerned are not listed")
        }
    }

    private func printTable(_ entries: [Entry]) {
        let rows = [["ID", "FINISHED", "DUMP", "STORED", "ENCRYPTION", "WHERE"]] + entries.map {
            [$0.id, $0.finishedAt, formatBytes($0.plainBytes), formatBytes($0.artifactBytes), $0.encryption, $0.locations.joined(separator: ",")]
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            emit(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
    }
}
