import Foundation

extension ConfigParser {
    /// Why `value` cannot stand in the configuration: a URI (`postgresql://u:PW@host/db`,
    /// `mysql://…`) or a libpq keyword string (`password=…`) that carries a password. The
    /// message never repeats the password.
    static func credentialsInURIProblem(_ value: String) -> String? {
        if let redacted = SecretRedaction.redactingURIPassword(value), redacted != value {
            return "\"\(redacted)\" carries a password in the URI: it would show in ps, the logs and the manifest; put the password in password_file instead"
        }
        if value.range(of: #"(^|\s)password\s*="#, options: [.regularExpression, .caseInsensitive]) != nil {
            return "carries password=…: it would show in ps, the logs and the manifest; put the password in password_file instead"
        }
        return nil
    }
}

/// Hides passwords in text that may reach a log or a terminal.
public enum SecretRedaction {
    /// `scheme://user:secret@host…` becomes `scheme://user:***@host…`; nil when `text` has no
    /// URI with a password.
    static func redactingURIPassword(_ text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: #"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)(@)"#) else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        guard regex.firstMatch(in: text, range: range) != nil else { return nil }
        return regex.stringByReplacingMatches(in: text, range: range, withTemplate: "$1***$3")
    }

    /// `text` with every URI password replaced by `***`.
    public static func redact(_ text: String) -> String {
        redactingURIPassword(text) ?? text
    }
}
