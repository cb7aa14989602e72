import ArgumentParser
import Foundation
import Logging
import RespaldoCore

struct Respaldo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respaldo",
        abstract: "Scheduled, compressed, encrypted backups with proof that they restore.",
        discussion: """
            Every command takes --config PATH, before or after its name (default: \
            $RESPALDO_CONFIG, else /etc/respaldo/respaldo.toml). Exit status: 0 success; 1 the \
            operation failed or found a problem; 2 usage or configuration error; 75 another \
            run holds the job's lock. Run commands as the service user (sudo -u respaldo \
            respaldo ...) so the files in state_dir stay its own.

            Examples:
              respaldo check-config --connect
              respaldo backup crm
              respaldo list
              respaldo drill crm --identity /secure/key.txt
            """,
        version: respaldoVersion,
        subcommands: [Daemon.self, Backup.self, Upload.self, List.self, Verify.self, Restore.self, Drill.self, Prune.self, Keygen.self, Next.self, Status.self, CheckConfig.self]
    )

    /// Never read here (main moves `--config` behind the subcommand's name); declared so that
    /// help, the man page and shell completion know it goes before a subcommand too.
    @OptionGroup var global: GlobalOptions
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: $RESPALDO_CONFIG, else /etc/respaldo/respaldo.toml).", valueName: "PATH"),
            completion: .file(extensions: ["toml"]))
    var config: String?

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["RESPALDO_CONFIG"] ?? "/etc/respaldo/respaldo.toml"
    }

    func loadConfig() throws -> Config {
        try Config.load(path: configPath)
    }

    /// The configuration, and what every job of this command works with: the configured
    /// stores and state folder, the system clock, SIGINT/SIGTERM, and the invoking user as the
    /// audit log's actor.
    func loadEnvironment() throws -> Environment {
        Environment.live(config: try loadConfig(), logger: logger)
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
