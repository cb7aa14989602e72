import ArgumentParser
import Foundation
import RespaldoCore

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a snapshot's original dump bytes, after checking every byte.",
        discussion: """
            Examples:
              respaldo restore crm-20261121T070000Z --identity /secure/key.txt \\
                --output /tmp/crm.sql
              respaldo restore crm-20261121T070000Z --remote geo \\
                --identity /secure/key.txt --stdout | psql --dbname=crm_restored
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Snapshot id.", completion: .custom(Completions.snapshots))
    var id: String

    @Option(help: ArgumentHelp("Restore from this remote's copy (streamed; no local copy needed).", valueName: "NAME"),
            completion: .custom(Completions.remotes))
    var remote: String?

    @Option(help: ArgumentHelp("age identity file to decrypt with.", valueName: "FILE"), completion: .file())
    var identity: String?

    @Option(help: ArgumentHelp("Write here (a new file; it appears only once every check passed).", valueName: "FILE"), completion: .file())
    var output: String?

    @Flag(help: "Write to standard output.")
    var stdout = false

    func validate() throws {
        if (output == nil) == (!stdout) { throw ValidationError("give exactly one of --output FILE or --stdout") }
        // A dump is binary more often than not (gzip inside a tar, a custom format): on a
        // terminal it is noise at best and control sequences at worst.
        if stdout && isatty(STDOUT_FILENO) == 1 {
            throw ValidationError("--stdout is a terminal: pipe it (respaldo restore ID --stdout | psql ...) or give --output FILE")
        }
    }

    func run() throws {
        let env = try global.loadEnvironment()
        let repository = try Repository.open(env, remote: remote)
        let snapshot = try repository.snapshot(id: id)
        let identities = try Keys.identities(identityFile: identity, config: env.config)
        var restore = RestoreJob(env: env)
        restore.identityFile = identity
        restore.showProgress = ProgressMeter.isWanted && output != nil
        try restore.run(snapshot, from: repository.store, identities: identities, to: output.map { .file($0) } ?? .standardOutput)
    }
}
