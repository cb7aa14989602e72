import ArgumentParser
import RespaldoCore

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and the permissions of the files it names.",
        discussion: """
            With --connect, also reach each remote: the host key is checked, the server's key \
            fingerprint is shown, and a probe file is written to the remote folder and removed.

            Examples:
              respaldo check-config
              respaldo --config /etc/respaldo/respaldo.toml check-config --connect
              sudo -u respaldo respaldo check-config --connect --notify
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Connect to every remote and check that its folder is writable.")
    var connect = false

    func run() throws {
        let config = try global.loadConfig()
        // Loading the keys proves the recipients parse and a passphrase file is usable.
        _ = try Keys.encryption(config.encryption)
        let encryption = switch config.encryption {
        case nil: "not encrypted"
        case let .recipients(list)?: "encrypted to \(list.count) age recipient\(list.count == 1 ? "" : "s")"
        case .passphraseFile?: "encrypted with an age passphrase"
        }
        // Likewise the signing key and the allowed signers must load, not only exist.
        let signing = try config.signing.map { "signed with \(try ManifestSigner.load($0).publicKeyLine.prefix(30))…" } ?? "not signed"
        let trust = try TrustPolicy.load(config).map { "trusting \($0.signers.entries.count) signing key\($0.signers.entries.count == 1 ? "" : "s")" }
            ?? "snapshots not authenticated (no [trust])"
        emit("\(config.path): ok: \(config.jobs.count) job\(config.jobs.count == 1 ? "" : "s"), \(config.remotes.count) remote\(config.remotes.count == 1 ? "" : "s"), \(encryption), \(signing), \(trust)")
        guard connect else { return }
        var unreachable: [String] = []
        for remote in config.remotes {
            do {
                let check = try RemoteStores(config: config, logger: logger).check(remote)
                if remote.s3 != nil {
                    emit("remote \(remote.name): ok: \(check.host), bucket \(check.folder): \(check.hostKey)")
                } else {
                    emit("remote \(remote.name): ok: \(check.host), host key \(check.hostKey), folder \(check.folder) \(remote.appendOnly ? "readable (append-only: not written)" : "writable")")
                }
            } catch {
                emit("remote \(remote.name): FAILED: \(error)")
                unreachable.append(remote.name)
            }
        }
        if !unreachable.isEmpty {
            throw RespaldoError.failed("\(unreachable.count) of \(config.remotes.count) remotes failed the check: \(unreachable.joined(separator: ", "))")
        }
    }
}
