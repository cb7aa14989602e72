import Foundation
import TOMLKit

/// `[notify]` and `[metrics]`.
extension ConfigParser {
    func parseNotify(_ s: ConfigSection) throws -> NotifyConfig {
        try s.checkKeys(
            ["webhook_url", "smtp_url", "mail_from", "mail_to", "smtp_credentials_file", "ping_url", "on", "ca_file"])
        let webhook = try s.url("webhook_url", schemes: ["https", "http"])
        let ping = try s.url("ping_url", schemes: ["https", "http"])
        let smtp = try s.url("smtp_url", schemes: ["smtps", "smtp"])
        let mailFrom = try s.nonEmptyString("mail_from")
        let mailTo = try s.stringArray("mail_to")
        let credentials = try s.absolutePath("smtp_credentials_file")

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
        if let credentials {
            try s.checkFile("smtp_credentials_file", credentials, what: "SMTP credentials file", private: true)
        }
        let caFile = try s.absolutePath("ca_file")
        if let caFile {
            try s.checkFile("ca_file", caFile, what: "CA file", private: false)
        }
        if webhook == nil && ping == nil && smtp == nil {
            throw s.error(
                .missingKey, nil, "sets none of webhook_url, smtp_url, ping_url: nobody would be notified (omit [notify] instead)")
        }
        let on = try s.stringArray("on") ?? ["failure"]
        for (i, event) in on.enumerated() where !ConfigParser.notifyEvents.contains(event) {
            throw s.error(
                .invalidValue, at: TOMLPath([.key("on"), .index(i)]),
                "\"\(event)\" is not an event; expected one of \(ConfigParser.notifyEvents.joined(separator: ", "))"
                    + ConfigParser.suggestion(event, among: ConfigParser.notifyEvents))
        }
        for (key, value) in [("webhook_url", webhook), ("smtp_url", smtp), ("ping_url", ping)] {
            if secret == nil, let value, let reason = ConfigParser.secretInURL(value) {
                secret = Secret(line: s.line(of: key), context: s.context, key: key, reason: reason)
            }
        }
        return NotifyConfig(
            webhookURL: webhook, smtpURL: smtp, mailFrom: mailFrom, mailTo: mailTo ?? [],
            smtpCredentialsFile: credentials, pingURL: ping, on: on, caFile: caFile)
    }

    func parseMetrics(_ s: ConfigSection) throws -> MetricsConfig {
        try s.checkKeys(["textfile"])
        return MetricsConfig(textfile: try s.requiredAbsolutePath("textfile"))
    }
}
