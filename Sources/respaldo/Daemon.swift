import ArgumentParser
import RespaldoCore

struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler: every job at its times, under systemd (Type=notify).",
        discussion: """
            Fires each job's schedule in its time zone; a run missed while the daemon was down \
            runs once at start. SIGHUP reloads the configuration (kept unchanged if the new one \
            is invalid); SIGTERM stops gracefully: no new runs, a running one is cancelled and \
            its temporary files removed. Talks to systemd through NOTIFY_SOCKET (READY, STATUS, \
            WATCHDOG, RELOADING, STOPPING).
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let config = try global.loadConfig()
        // A missing key or recipient fails now, not at 01:00.
        _ = try Keys.encryption(config.encryption)
        let service = try DaemonService(
            configPath: global.configPath, config: config, logger: logger,
            notifier: SystemdNotifier.forCurrentProcess(), cancellation: Interruption.token)
        service.run()
    }
}
