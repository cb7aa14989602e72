import Foundation
import Logging

/// Log lines on stderr. Under systemd (JOURNAL_STREAM set) each line starts with a syslog
/// priority prefix (`<3>`), which journald turns into the entry's level; elsewhere lines carry a
/// time and a level word for people to read.
public struct RespaldoLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let journald: Bool

    public init(level: Logger.Level, journald: Bool) {
        self.logLevel = level
        self.journald = journald
    }

    /// The handler for this process: journald prefixes when stderr is the journal, and the
    /// level from RESPALDO_LOG_LEVEL (trace, debug, info, notice, warning, error, critical).
    public static func bootstrap() {
        let env = ProcessInfo.processInfo.environment
        let level = env["RESPALDO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let journald = env["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { _ in RespaldoLogHandler(level: level, journald: journald) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = "\(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        // One record per line: a newline inside a message would split it in the journal.
        // A URI password that reached a message anyway (a tool's stderr) never reaches the log.
        text = SecretRedaction.redact(text.replacingOccurrences(of: "\n", with: " "))
        let line: String
        if journald {
            line = "<\(Self.syslogPriority(event.level))>\(text)\n"
        } else {
            line = "\(Self.timestamp()) \(event.level.rawValue): \(text)\n"
        }
        // Through the terminal line: a progress meter on screen is erased first, then redrawn.
        TerminalLine.standardError.writeLine(line)
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date())
    }
}
