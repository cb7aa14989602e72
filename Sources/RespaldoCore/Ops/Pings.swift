/// A healthchecks.io-style ping: `<ping_url>/start` when a run begins, `<ping_url>` when it
/// succeeds, `<ping_url>/fail` when it fails. The service raises its own alarm when a ping is
/// late, so a daemon that stopped running is noticed too.
public enum PingKind: String, Sendable, Equatable {
    case start, success, failure

    /// The ping that reports `status`: any failure is a failure ping.
    public init(_ status: AlertStatus) {
        self = status == .success ? .success : .failure
    }

    /// The URL for this ping: the suffix goes at the end of the path, before any query.
    func url(base: String) -> String {
        let suffix = switch self {
        case .start: "/start"
        case .success: ""
        case .failure: "/fail"
        }
        let split = base.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? base.endIndex
        var path = base[..<split]
        while path.hasSuffix("/") && !path.hasSuffix("//") { path = path.dropLast() }
        return path + suffix + base[split...]
    }
}

extension Alerter {
    /// POSTs the ping; the body (a failure's error, for instance) shows in the service's log.
    func pingDelivery(_ base: String, _ kind: PingKind, body: String) -> Delivery {
        let post = HTTPPost(
            target: AlertTarget(.ping, url: kind.url(base: base)), body: Array(body.utf8),
            contentType: "text/plain; charset=utf-8", limits: limits, caFile: config.caFile)
        return Delivery(target: post.target, what: "\(kind.rawValue) ping", attempt: post.attempt)
    }
}
