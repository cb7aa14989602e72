import Foundation

extension AlertEvent {
    /// `check-config --notify`'s message: it reports no operation, so its text says it is a
    /// test rather than "backup of job … succeeded"; `event` is success, so that no rule
    /// keyed on failures pages anyone.
    public static func test(configPath: String, host: String? = nil) -> AlertEvent {
        let host = host ?? hostName()
        var event = AlertEvent(
            kind: .backup, event: .success, job: "(test)", status: .success,
            error: nil, host: host, startedAt: Date())
        event.fixedText = "respaldo: test alert from check-config --notify on \(host) (\(configPath)): alerts reach you"
        return event
    }
}
