import Foundation
import TOMLKit

/// `[notify]` and `[metrics]`.
extension ConfigParser {
    func parseNotify(_ s: ConfigSection) throws -> NotifyConfig {
        try s.checkKeys([
            "webhook_url", "webhook_url_file", "smtp_url", "mail_from", "mail_to", "smtp_credentials_file", "ping_url", "ping_url_file",
            "on", "ca_file",
        ])
        // In this order, the first URL with a secret is the one a refusal names.
        let webhook = attempt(nil) { try secretURL(s, "webhook_url", schemes: ["https", "http"]) }
        let smtp = attempt(nil) { try s.url("smtp_url", schemes: ["smtps", "smtp"]) }
        if secret == nil, let smtp, let reason = ConfigParser.secretInURL(smtp) {
            secret = Secret(line: s.line(of: "smtp_url"), context: s.context, key: "smtp_url", reason: reason)
        }
        let ping = attempt(nil) { try secretURL(s, "ping_url", schemes: ["https", "http"]) }
        let mailFrom = attempt(nil) { try s.nonEmptyString("mail_from") }
        let mailTo = attempt(nil) { try s.stringArray("mail_to") }
        let credentials = attempt(nil) { try s.absolutePath("smtp_credentials_file") }

        attempt(()) {
            if smtp == nil {
                for key in ["mail_from", "mail_to", "smtp_credentials_file"] where s.has(key) {
                    throw s.error(.invalidValue, key, "is only used with smtp_url, which is not set")
                }
            } else {
                guard let mailFrom else { throw s.error(.missingKey, "mail_from", "required with smtp_url") }
                guard let mailTo, !mailTo.isEmpty else {
                    throw s.error(s.has("mail_to") ? .invalidValue : .missingKey, "mail_to", "needs at least one address with smtp_url")
                }
                if !mailFrom.contains("@") {
                    throw s.error(.invalidValue, "mail_from", "\"\(mailFrom)\" is not a mail address")
                }
                for (i, address) in mailTo.enumerated() where !address.contains("@") {
                    throw s.error(.invalidValue, at: TOMLPath([.key("mail_to"), .index(i)]), "\"\(address)\" is not a mail address")
                }
            }
        }
        if let credentials {
            attempt(()) { try s.checkFile("smtp_credentials_file", credentials, what: "SMTP credentials file", private: true) }
        }
        let caFile = attempt(nil) { () -> String? in
            let caFile = try s.absolutePath("ca_file")
            if let caFile { try s.checkFile("ca_file", caFile, what: "CA file", private: false) }
            return caFile
        }
        let named = ["webhook_url", "webhook_url_file", "smtp_url", "ping_url", "ping_url_file"].contains { s.has($0) }
        if !named {
            record(s.error(
                .missingKey, nil, "sets none of webhook_url, smtp_url, ping_url: nobody would be notified (omit [notify] instead)"))
        }
        var on: Set<AlertStatus> = [.failure]
        if let names = attempt(nil, { try s.stringArray("on") }) {
            on = []
            for (i, name) in names.enumerated() {
                do {
                    on.insert(try AlertStatus(named: name))
                } catch {
                    record(s.error(
                        .invalidValue, at: TOMLPath([.key("on"), .index(i)]),
                        error.description + ConfigParser.suggestion(name, among: AlertStatus.names)))
                }
            }
        }
        return NotifyConfig(
            webhookURL: webhook, smtpURL: smtp, mailFrom: mailFrom, mailTo: mailTo ?? [],
            smtpCredentialsFile: credentials, pingURL: ping, on: on, caFile: caFile)
    }

    /// A URL that may carry a token (a chat webhook's, a healthchecks ping's): `key` in the
    /// config (which then makes the config itself a secret), or `<key>_file`, a private file
    /// (0600) holding it on its first line, so that the config can stay group-readable
    /// (`root:respaldo 0640`) while only the service user reads the token.
    private func secretURL(_ s: ConfigSection, _ key: String, schemes: [String]) throws -> String? {
        let fileKey = key + "_file"
        guard let path = try s.absolutePath(fileKey) else {
            let url = try s.url(key, schemes: schemes)
            if secret == nil, let url, let reason = ConfigParser.secretInURL(url) {
                secret = Secret(line: s.line(of: key), context: s.context, key: key, reason: reason)
            }
            return url
        }
        if s.has(key) {
            throw s.error(.invalidValue, s.laterKey(key, fileKey), "\(key) and \(fileKey) are both set: keep exactly one")
        }
        guard checkFiles else { return "https://url.from/\(fileKey)" }
        try s.checkFile(fileKey, path, what: "\(key) file", private: true)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw s.error(.fileProblem, fileKey, "\(path): cannot be read as UTF-8 text")
        }
        let url = String(text.split(whereSeparator: \.isNewline).first ?? "").trimmingCharacters(in: .whitespaces)
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), schemes.contains(scheme),
              let host = c.host, !host.isEmpty
        else {
            // The file's text may be a token: never quoted.
            throw s.error(
                .invalidValue, fileKey,
                "\(path): its first line is not a URL of the form \(schemes.map { "\($0)://host/…" }.joined(separator: " or "))")
        }
        return url
    }

    func parseMetrics(_ s: ConfigSection) throws -> MetricsConfig {
        try s.checkKeys(["textfile"])
        return MetricsConfig(textfile: try s.requiredAbsolutePath("textfile"))
    }
}
