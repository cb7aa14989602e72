import ArgumentParser
import Foundation
import Logging
import RespaldoCore

struct Respaldo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respaldo",
        abstract: "Scheduled, compressed, encrypted backups with proof that they restore.",
        version: respaldoVersion,
        subcommands: [Daemon.self, Backup.self, Upload.self, List.self, Verify.self, Restore.self, Drill.self, Prune.self, Keygen.self, Next.self, Status.self, CheckConfig.self]
    )
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: $RESPALDO_CONFIG, else /etc/respaldo/respaldo.toml).", valueName: "PATH"))
    var config: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["RESPALDO_CONFIG"] ?? "/etc/respaldo/respaldo.toml"
    }

    func loadConfig() throws -> Config {
        try Config.load(path: configPath)
    }
}

let logger = Logger(label: "respaldo")

/// Writes a line to stdout at once: scripts read ids as they appear. On a terminal that also
/// shows a progress line, the line goes above it.
func emit(_ line: String) {
    TerminalLine.standardError.writeAbove(fd: STDOUT_FILENO, line + "\n")
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    emit(String(decoding: try encoder.encode(value), as: UTF8.self))
}
