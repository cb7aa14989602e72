import Storage

/// Bounds on one alert delivery, so that an unreachable target never holds up a backup or
/// keeps a one-shot command from exiting for long.
public struct AlertLimits: Sendable, Equatable {
    /// Seconds for the TCP connect and the TLS handshake of one attempt.
    public var connectTimeout: Int
    /// Seconds for one whole attempt.
    public var totalTimeout: Int
    /// Attempts after the first, for transient failures only.
    public var retries: Int
    /// Seconds before the first retry; doubled before the next.
    public var retryDelay: Double
    /// Deliveries that may be in flight at once; more are dropped (and logged), so that a dead
    /// target cannot pile up threads in the daemon.
    public var maxOutstanding: Int

    public init(connectTimeout: Int = 10, totalTimeout: Int = 30, retries: Int = 2, retryDelay: Double = 2, maxOutstanding: Int = 32) {
        self.connectTimeout = max(connectTimeout, 1)
        self.totalTimeout = max(totalTimeout, 1)
        self.retries = min(max(retries, 0), 5)
        self.retryDelay = max(retryDelay, 0)
        self.maxOutstanding = max(maxOutstanding, 1)
    }

    /// The waits between attempts: `retryDelay`, then twice as long each time, no jitter.
    public var backoff: Backoff { Backoff(initial: retryDelay, factor: 2) }

    /// The longest one delivery can take: every attempt timing out, plus the waits.
    public var worstCase: Double {
        Double(totalTimeout * (retries + 1)) + retryDelay * (Double(1 << retries) - 1)
    }
}
