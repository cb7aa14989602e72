#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A deadline that grows with the bytes moved: a transfer may take `grace` seconds plus one
/// second for every `minimumRate` bytes. libcurl's low-speed limit only catches a transfer
/// that is *below* a rate for a while; a peer trickling just above it (1.2 KB/s against
/// 1 KB/s) would otherwise hold a run, and the job's lock, for as long as it likes.
final class TransferPace {
    let grace: Double
    let minimumRate: Double
    private let start: Double
    private let now: () -> Double

    init(grace: Double, minimumRate: Double, now: @escaping () -> Double = TransferPace.monotonicSeconds) {
        self.grace = grace
        self.minimumRate = minimumRate
        self.now = now
        start = now()
    }

    /// Throws when `bytes` moved so far took longer than the deadline they earn.
    func check(bytes: Int64, location: String, operation: String, name: String) throws {
        let elapsed = now() - start
        let allowed = grace + Double(max(bytes, 0)) / minimumRate
        guard elapsed > allowed else { return }
        let rate = Int(Double(bytes) / max(elapsed, 0.001))
        throw StorageError.remote(
            location: location, operation: operation, name: name, code: 28,
            message: "too slow: \(bytes) bytes in \(Int(elapsed)) s (\(rate) B/s), below the minimum of \(Int(minimumRate)) B/s after \(Int(grace)) s")
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
