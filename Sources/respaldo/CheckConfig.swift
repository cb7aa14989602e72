import ArgumentParser
import RespaldoCore

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and the permissions of the files it names.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let config = try global.loadConfig()
        // Loading the keys proves the recipients parse and a passphrase file is usable.
        _ = try Keys.encryption(config.encryption)
        let encryption = switch config.encryption {
        case nil: "not encrypted"
        case let .recipients(list)?: "encrypted to \(list.count) age recipient\(list.count == 1 ? "" : "s")"
        case .passphraseFile?: "encrypted with an age passphrase"
        }
        emit("\(config.path): ok: \(config.jobs.count) job\(config.jobs.count == 1 ? "" : "s"), \(config.remotes.count) remote\(config.remotes.count == 1 ? "" : "s"), \(encryption)")
    }
}
