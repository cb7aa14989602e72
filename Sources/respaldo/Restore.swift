import ArgumentParser
import RespaldoCore

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a snapshot's original dump bytes, after checking every byte.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Snapshot id.")
    var id: String

    @Option(help: ArgumentHelp("Restore from this remote's copy (streamed; no local copy needed).", valueName: "NAME"))
    var remote: String?

    @Option(help: ArgumentHelp("age identity file to decrypt with.", valueName: "FILE"))
    var identity: String?

    @Option(help: ArgumentHelp("Write here (a new file; it appears only once every check passed).", valueName: "FILE"))
    var output: String?

    @Flag(help: "Write to standard output.")
    var stdout = false

    func validate() throws {
        if (output == nil) == (!stdout) { throw ValidationError("give exactly one of --output FILE or --stdout") }
    }

    func run() throws {
        let config = try global.loadConfig()
        let repository = try Repository.open(config, remote: remote, logger: logger)
        let snapshot = try repository.snapshot(id: id)
        let identities = try Keys.identities(identityFile: identity, config: config)
        var restore = RestoreJob(logger: logger)
        restore.showProgress = ProgressMeter.isWanted && output != nil
        do {
            try restore.run(snapshot, from: repository.store, identities: identities,
                            to: output.map { .file($0) } ?? .standardOutput)
            Audit.record(config, .restore, job: snapshot.manifest.job, snapshot: snapshot.id, target: output ?? "stdout", logger: logger)
        } catch {
            Audit.record(config, .restore, job: snapshot.manifest.job, snapshot: snapshot.id, target: output ?? "stdout", error: error, logger: logger)
            throw error
        }
    }
}
