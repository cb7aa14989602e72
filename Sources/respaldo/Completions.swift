import ArgumentParser
import Foundation
import RespaldoCore

/// What the shell completes for arguments that name something in the configuration: jobs,
/// remotes and snapshot ids. ArgumentParser's completion scripts call back into `respaldo`
/// with the words typed so far; the configuration is the one those words name (`--config`),
/// else the default. Nothing here may print or fail: a configuration that cannot be read (it
/// is often 0640 root:respaldo) simply completes nothing.
enum Completions {
    @Sendable static func jobs(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let config = config(words) else { return [] }
        return config.jobs.map(\.name).filter { $0.hasPrefix(prefix) }
    }

    @Sendable static func remotes(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let config = config(words) else { return [] }
        return config.remotes.map(\.name).filter { $0.hasPrefix(prefix) }
    }

    /// Ids of the local snapshots, from the manifests' file names (nothing is read or checked:
    /// the command itself does that).
    @Sendable static func snapshots(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let config = config(words) else { return [] }
        var ids: [String] = []
        for job in config.jobs {
            let folder = config.localDir + "/" + job.name
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            ids += names.filter { $0.hasSuffix(".manifest.json") }.map { String($0.dropLast(".manifest.json".count)) }
        }
        return ids.filter { $0.hasPrefix(prefix) && SnapshotID($0) != nil }.sorted()
    }

    private static func config(_ words: [String]) -> Config? {
        var path = ProcessInfo.processInfo.environment["RESPALDO_CONFIG"] ?? "/etc/respaldo/respaldo.toml"
        for (index, word) in words.enumerated() {
            if word == "--config", index + 1 < words.count {
                path = unquoted(words[index + 1])
            } else if word.hasPrefix("--config=") {
                path = unquoted(String(word.dropFirst("--config=".count)))
            }
        }
        return Config.loadForCompletion(path: NSString(string: path).expandingTildeInPath)
    }

    /// Shells pass words as typed; a quoted path is unquoted here.
    private static func unquoted(_ word: String) -> String {
        word.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "'", with: "")
    }
}
