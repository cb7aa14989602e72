#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The waits between the attempts of a retried operation: `initial` seconds before the first
/// retry, `factor` times as long before each one after, never more than `cap`, and each varied
/// by up to ±`jitter` (a fraction of the wait) so that clients that failed together do not
/// retry in step. A value: the caller counts its retries.
public struct Backoff: Sendable, Equatable {
    public var initial: Double
    public var factor: Double
    public var cap: Double
    public var jitter: Double

    public init(initial: Double, factor: Double = 2, cap: Double = .infinity, jitter: Double = 0) {
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
    }

    /// The wait before retry `retry` (1 is the first), without jitter: initial × factor^(retry−1),
    /// at most `cap`.
    public func delay(beforeRetry retry: Int) -> Double {
        // 0 × factor^n is 0 however large n grows, where the product would reach 0 × ∞ = NaN.
        guard initial > 0 else { return min(initial, cap) }
        return min(initial * pow(factor, Double(max(retry, 1) - 1)), cap)
    }

    /// `delay(beforeRetry:)` times a uniform random factor in 1 ± `jitter`.
    public func jitteredDelay(beforeRetry retry: Int, using generator: inout some RandomNumberGenerator) -> Double {
        let delay = delay(beforeRetry: retry)
        guard jitter > 0 else { return delay }
        return delay * Double.random(in: (1 - jitter)...(1 + jitter), using: &generator)
    }

    public func jitteredDelay(beforeRetry retry: Int) -> Double {
        var generator = SystemRandomNumberGenerator()
        return jitteredDelay(beforeRetry: retry, using: &generator)
    }
}
