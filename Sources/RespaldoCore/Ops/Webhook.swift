import Curl

/// One HTTP POST attempt, for the webhook and the pings: http or https only, no redirects
/// followed, the certificate always checked, a 2xx status required.
struct HTTPPost: Sendable {
    var target: AlertTarget
    var body: [UInt8]
    var contentType: String
    var limits: AlertLimits
    var caFile: String?

    func attempt() throws(AlertError) {
        let status: Int?
        do {
            let easy = try CurlEasy()
            try easy.set([
                .url(target.url),
                .protocols("http,https"),
                .noSignal(true),
                .connectTimeout(seconds: limits.connectTimeout),
                .timeout(seconds: limits.totalTimeout),
                .postBody(body),
                .httpHeaders(["Content-Type: \(contentType)", "Expect:"]),  // no 100-continue wait
                .userAgent("respaldo/\(respaldoVersion)"),
            ])
            if let caFile { try easy.set(.caFile(caFile)) }
            try easy.perform(CurlTransfer())  // the response body is discarded
            status = easy.responseCode
        } catch let error as CurlError {
            throw AlertError(target, error)
        } catch {
            // perform rethrows only its callbacks' errors, and ours throw none.
            throw .transfer(target, code: 0, message: "\(error)")
        }
        guard let status, (200..<300).contains(status) else {
            throw .httpStatus(target, status: status ?? 0)
        }
    }
}

extension Alerter {
    /// POSTs the event's JSON object to the webhook.
    func webhookDelivery(_ url: String, _ event: AlertEvent) -> Delivery {
        let post = HTTPPost(
            target: AlertTarget(.webhook, url: url), body: event.json(), contentType: "application/json",
            limits: limits, caFile: config.caFile)
        return Delivery(target: post.target, what: event.what, attempt: post.attempt)
    }
}
