import Curl
import Foundation

/// Where an alert goes, as logs may name it: the kind and the server's host and port only.
/// A webhook or ping URL's path and query often are the secret (a token), so no message ever
/// shows them, nor a password.
struct AlertTarget: Sendable, CustomStringConvertible {
    enum Kind: String, Sendable { case webhook, mail, ping }

    var kind: Kind
    /// The full URL: used for the transfer, never printed.
    var url: String
    /// `host` or `host:port`.
    var server: String

    init(_ kind: Kind, url: String) {
        self.kind = kind
        self.url = url
        if let c = URLComponents(string: url), let host = c.host, !host.isEmpty {
            let shown = host.contains(":") ? "[\(host)]" : host
            server = c.port.map { "\(shown):\($0)" } ?? shown
        } else {
            server = "(unparsable URL)"
        }
    }

    var description: String {
        switch kind {
        case .webhook: "webhook at \(server)"
        case .mail: "mail via \(server)"
        case .ping: "ping to \(server)"
        }
    }

    /// `text` without the URL, its path and query, and the given secrets, should libcurl have
    /// quoted any of them.
    func scrubbed(_ text: String, secrets: [String] = []) -> String {
        var pieces = [url] + secrets
        if let c = URLComponents(string: url) {
            if c.percentEncodedPath.count > 1 { pieces.append(c.percentEncodedPath) }
            if let query = c.percentEncodedQuery, !query.isEmpty { pieces.append(query) }
        }
        var result = text
        for piece in pieces.sorted(by: { $0.count > $1.count }) where piece.count >= 2 {
            result = result.replacingOccurrences(of: piece, with: "[redacted]")
        }
        return result
    }
}

/// Why one alert delivery failed. Each names the target (kind and server only).
enum AlertError: Error, CustomStringConvertible {
    /// libcurl failed (connect, TLS, timeout, SMTP reply); its code and scrubbed message.
    case transfer(AlertTarget, code: Int, message: String)
    /// The HTTP server answered with a status other than 2xx.
    case httpStatus(AlertTarget, status: Int)
    /// The SMTP credentials file cannot be used.
    case credentials(AlertTarget, file: String, detail: String)

    var description: String {
        switch self {
        case let .transfer(target, code, message): "\(target): \(message) (curl error \(code))"
        case let .httpStatus(target, status): "\(target): the server answered HTTP \(status)"
        case let .credentials(target, file, detail): "\(target): SMTP credentials file \(file): \(detail)"
        }
    }

    /// True when another attempt would fail the same way: a refused certificate or login, TLS
    /// that a smtp:// server does not offer, a bad URL or CA file, a 4xx HTTP status other than
    /// 408 and 429, a redirect (never followed), an unusable credentials file.
    var isPermanent: Bool {
        switch self {
        case let .transfer(_, code, _):
            // Unsupported protocol (1), malformed URL (3), bad argument (43), unknown option
            // (48), client certificate problem (58), server certificate refused (60), STARTTLS
            // not offered (64), login refused (67), unreadable CA file (77), SASL failure (94).
            return [1, 3, 43, 48, 58, 60, 64, 67, 77, 94].contains(code)
        case let .httpStatus(_, status):
            return (300..<500).contains(status) && status != 408 && status != 429
        case .credentials:
            return true
        }
    }

    init(_ target: AlertTarget, _ error: CurlError, secrets: [String] = []) {
        self = .transfer(target, code: error.number, message: target.scrubbed(error.message, secrets: secrets))
    }
}
