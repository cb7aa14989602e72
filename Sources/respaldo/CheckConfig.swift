import ArgumentParser
import Foundation
import RespaldoCore

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and the files it names, for the user the service runs as.",
        discussion: """
            Every problem is reported at once, each with its file, line and key. Each file the \
            configuration names (keys, passwords, known_hosts, ...) must be readable by the \
            service user (the owner of state_dir, or --user), and local_dir and state_dir \
            writable by it. With --connect, also reach each remote (the host key is checked, \
            the server's key fingerprint shown, a probe file written and removed) and try \
            each job's source as its dump would: a database is dumped without its data. With \
            --notify, send a test alert to the webhook and mail targets. Exit 0 when all is \
            well, 2 for a configuration problem, 1 when a remote, a source or an alert failed.

            Examples:
              respaldo check-config
              respaldo --config /etc/respaldo/respaldo.toml check-config --connect
              sudo -u respaldo respaldo check-config --connect --notify
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Connect to every remote and check that its folder is writable; try each job's source (a database is dumped without its data).")
    var connect = false

    @Flag(help: "Send a test alert to the [notify] webhook and mail targets (and the ping URL).")
    var notify = false

    @Option(help: ArgumentHelp("The user the service runs as, whose access to each file is checked (default: the owner of state_dir).", valueName: "NAME"))
    var user: String?

    func run() throws {
        let (config, loadProblems) = try Config.loadReporting(path: global.configPath)
        var problems = loadProblems
        func collect(_ what: String, _ check: () throws -> Void) {
            do { try check() } catch let error as ConfigError { problems += error.all } catch {
                problems.append(ConfigError(kind: .invalidValue, file: config.path, context: what, message: "\(error)"))
            }
        }
        // Recipients were parsed at load; loading the keys proves a passphrase file is usable, and
        // likewise the signing key and the allowed signers must load, not only exist.
        var encryption = "not encrypted", signing = "not signed", trust = "snapshots not authenticated (no [trust])"
        collect("encryption") {
            _ = try Keys.encryption(config.encryption)
            encryption = switch config.encryption {
            case nil: "not encrypted"
            case let .recipients(list)?: "encrypted to \(list.count) age recipient\(list.count == 1 ? "" : "s")"
            case .passphraseFile?: "encrypted with an age passphrase"
            }
        }
        collect("signing") { signing = try config.signing.map { "signed with \(try ManifestSigner.load($0).publicKeyLine.prefix(30))..." } ?? "not signed" }
        collect("trust") {
            if let policy = try TrustPolicy.load(config) {
                trust = "trusting \(policy.signers.entries.count) signing key\(policy.signers.entries.count == 1 ? "" : "s")"
            }
        }
        let serviceUser = try self.serviceUser(config)
        problems += ServiceAccess.problems(config, for: serviceUser)
        if var first = problems.first {
            first.more = Array(problems.dropFirst())
            throw first
        }
        emit("\(config.path): ok: \(config.jobs.count) job\(config.jobs.count == 1 ? "" : "s"), \(config.remotes.count) remote\(config.remotes.count == 1 ? "" : "s"), \(encryption), \(signing), \(trust); every file readable by \(serviceUser.name)")
        if serviceUser.uid != geteuid() && (connect || notify) {
            logger.warning("running as \(currentUser()), not as the service user \(serviceUser.name): what the service can reach may differ (sudo -u \(serviceUser.name) respaldo check-config ...)")
        }
        var failures: [String] = []
        if connect { failures += checkRemotes(config) + checkSources(config) }
        if notify { failures += sendTestAlert(config) }
        if !failures.isEmpty {
            throw RespaldoError.failed("check-config: \(failures.joined(separator: ", ")) failed (each above)")
        }
    }

    private func serviceUser(_ config: Config) throws -> ServiceUser {
        if let user {
            guard let found = ServiceUser.named(user) else { throw RespaldoError.usage("--user \(user): no such user") }
            return found
        }
        guard let found = ServiceUser.of(config) else { throw RespaldoError.usage("the owner of \(config.stateDir) is no user of this system") }
        return found
    }

    private func checkRemotes(_ config: Config) -> [String] {
        var failed: [String] = []
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
                failed.append("remote \(remote.name)")
            }
        }
        return failed
    }

    private func checkSources(_ config: Config) -> [String] {
        var failed: [String] = []
        let probe = SourceProbe(stateDir: config.stateDir, logger: logger)
        for job in config.jobs {
            let outcome = probe.check(job)
            if let problem = outcome.problem {
                emit("job \(job.name): \(outcome.what): FAILED: \(problem)")
                failed.append("job \(job.name)")
            } else {
                emit("job \(job.name): \(outcome.what): ok")
            }
        }
        return failed
    }

    private func sendTestAlert(_ config: Config) -> [String] {
        guard let notify = config.notify else {
            emit("notify: nothing to send, the configuration has no [notify]")
            return []
        }
        let alerter = Alerter(config: notify, logger: logger)
        let event = AlertEvent.test(configPath: config.path)
        var failed: [String] = []
        for outcome in alerter.sendNow(event) + [alerter.pingNow(.success)].compactMap({ $0 }) {
            if let error = outcome.error {
                emit("notify: test alert to \(outcome.target): FAILED: \(error)")
                failed.append("notify \(outcome.target)")
            } else {
                emit("notify: test alert sent to \(outcome.target)")
            }
        }
        return failed
    }

    private func currentUser() -> String {
        ServiceUser.withID(geteuid())?.name ?? "uid \(geteuid())"
    }
}
