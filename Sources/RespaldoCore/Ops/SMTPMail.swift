import Curl
import Foundation

/// A plain-text alert mail, sent with libcurl's SMTP: smtps:// (TLS from the first byte) or
/// smtp:// with STARTTLS required. TLS is demanded even without credentials, so that they can
/// never be sent in clear text and the mail cannot be read on the way; a server that does not
/// offer STARTTLS fails the delivery (curl error 64) before anything is sent.
///
/// The credentials file (`smtp_credentials_file`, chmod 600) holds the user name on its first
/// line and the password on its second; it is read at each delivery, so it can be rotated
/// without a restart.
struct SMTPMail: Sendable {
    /// Largest credentials file read.
    static let credentialsLimit = 4096

    var target: AlertTarget
    var from: String
    var to: [String]
    var credentialsFile: String?
    var message: [UInt8]
    var limits: AlertLimits
    var caFile: String?

    func attempt() throws(AlertError) {
        let credentials = try credentialsFile.map { file throws(AlertError) in try readCredentials(file) }
        let secrets = credentials.map { [$0.password] } ?? []
        var offset = 0
        let transfer = CurlTransfer()
        transfer.reader = { [message] buffer in
            let count = min(buffer.count, message.count - offset)
            message.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            offset += count
            return count
        }
        defer { transfer.reader = nil }
        do {
            let easy = try CurlEasy()
            try easy.set([
                .url(target.url),
                .protocols("smtp,smtps"),
                .noSignal(true),
                .connectTimeout(seconds: limits.connectTimeout),
                .timeout(seconds: limits.totalTimeout),
                .requireTLS,
                .mailFrom(from),
                .mailRecipients(to),
                .upload(true),
            ])
            if let caFile { try easy.set(.caFile(caFile)) }
            if let credentials { try easy.set([.userName(credentials.user), .password(credentials.password)]) }
            try easy.perform(transfer)
        } catch let error as CurlError {
            throw AlertError(target, error, secrets: secrets)
        } catch {
            throw .transfer(target, code: 0, message: target.scrubbed("\(error)", secrets: secrets))
        }
    }

    /// Line 1: user; line 2: password (CR LF or LF; nothing else is read).
    func readCredentials(_ file: String) throws(AlertError) -> (user: String, password: String) {
        func fail(_ detail: String) -> AlertError { .credentials(target, file: file, detail: detail) }
        do {
            try FileSecurity.checkPrivate(path: file, what: "SMTP credentials file")
        } catch let error as ConfigError {
            throw fail(error.message)
        } catch {
            throw fail("\(error)")
        }
        guard let handle = FileHandle(forReadingAtPath: file) else { throw fail("cannot be opened") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.credentialsLimit + 1) ?? Data()
        } catch {
            throw fail("cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= Self.credentialsLimit else { throw fail("is larger than \(Self.credentialsLimit) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("is not UTF-8 text") }
        let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        guard lines.count >= 2, !lines[0].isEmpty, !lines[1].isEmpty else {
            throw fail("expected the user name on line 1 and the password on line 2")
        }
        return (lines[0], lines[1])
    }
}

/// The RFC 5322 text of an alert mail.
struct AlertMessage {
    var event: AlertEvent
    var from: String
    var to: [String]
    var date = Date()

    /// The summary without its error: a subject line stays short.
    var subject: String {
        var quiet = event
        quiet.error = nil
        return quiet.summary
    }

    var bodyText: String {
        var lines = [
            subject + ".",
            "",
            "job:      \(event.job)",
            "kind:     \(event.kind.rawValue)",
            "event:    \(event.event.rawValue)",
            "status:   \(event.status.rawValue)",
        ]
        if let location = event.location { lines.append("location: \(location)") }
        lines += [
            "snapshot: \(event.snapshot ?? "(none)")",
            "host:     \(event.host)",
            "started:  \(rfc3339(event.startedAt))",
            "finished: \(rfc3339(event.finishedAt))",
        ]
        if let since = event.failingSince { lines.append("failing since: \(rfc3339(since))") }
        if event.repeated > 0 { lines.append("not alerted since the last mail: \(event.repeated) more like it") }
        if let error = event.error {
            lines += ["", "error:"] + error.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Headers and body, CR LF line ends. The body is 7-bit text when it is ASCII (lines cut
    /// at 900 bytes, inside SMTP's 998), base64 otherwise.
    func bytes() -> [UInt8] {
        let body = Self.clean(bodyText)
        let ascii = body.utf8.allSatisfy { $0 < 0x80 }
        var headers = [
            "Date: \(Self.rfc5322(date))",
            "From: \(Self.headerValue(from))",
            "To: \(to.map(Self.headerValue).joined(separator: ", "))",
            "Subject: \(Self.encodedWord(Self.headerValue(subject)))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(Self.messageIDDomain(event.host))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(ascii ? "7bit" : "base64")",
            "Auto-Submitted: auto-generated",
        ]
        headers.append("")
        var text = headers.joined(separator: "\r\n") + "\r\n"
        if ascii {
            for line in body.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                var rest = Substring(line)
                repeat {
                    text += rest.prefix(900) + "\r\n"
                    rest = rest.dropFirst(900)
                } while !rest.isEmpty
            }
        } else {
            var encoded = Substring(Data(body.utf8).base64EncodedString())
            while !encoded.isEmpty {
                text += encoded.prefix(76) + "\r\n"
                encoded = encoded.dropFirst(76)
            }
        }
        return Array(text.utf8)
    }

    /// The host when it is a plain host name, as RFC 5322 wants a Message-ID's right side.
    static func messageIDDomain(_ host: String) -> String {
        let allowed = host.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        return allowed && !host.isEmpty ? host : "respaldo.invalid"
    }

    /// Tabs and newlines kept, other control characters shown as `?`.
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0.value == 0x7f ? "?" : $0
        }))
    }

    /// A header value on one line: no CR, LF or other control characters (no header injection).
    static func headerValue(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }

    /// RFC 2047 `=?utf-8?b?…?=` for a non-ASCII header value.
    static func encodedWord(_ text: String) -> String {
        text.utf8.allSatisfy({ $0 < 0x80 }) ? text : "=?utf-8?b?\(Data(text.utf8).base64EncodedString())?="
    }

    /// `Date:` as RFC 5322 wants it, in UTC.
    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

extension Alerter {
    /// Mails the event to `mail_to`.
    func mailDelivery(_ url: String, _ event: AlertEvent) -> Delivery {
        let from = config.mailFrom ?? ""
        let mail = SMTPMail(
            target: AlertTarget(.mail, url: url), from: from, to: config.mailTo,
            credentialsFile: config.smtpCredentialsFile,
            message: AlertMessage(event: event, from: from, to: config.mailTo).bytes(),
            limits: limits, caFile: config.caFile)
        return Delivery(target: mail.target, what: event.what, attempt: mail.attempt)
    }
}
