import Curl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Retries another store's transient failures (restic's `retry.Backend` is the model).
///
/// - A failed call is tried again up to `retries` times, after `initialDelay` seconds, then
///   twice as long each time, each delay varied by ±25% (jitter, so that several clients do
///   not retry in step).
/// - Only transient failures are retried: a `StorageError` whose `isPermanent` is false
///   (refused or dropped connections, timeouts, SSH errors). Permanent ones (host key,
///   authentication, permission, missing file, size mismatch, bad name, cancellation) and any
///   other error (one thrown by the caller's reader or writer) are thrown at once.
/// - `put` streams from a reader that cannot be rewound: it is retried only while the reader
///   has not been called yet (a failure to connect, authenticate or create the file), never
///   after bytes were consumed. `putFile` is always retryable: each attempt resumes the
///   remote `.partial` (see `Store.putFile`).
/// - `get` continues where the failed attempt stopped: the next attempt starts at the offset
///   of the first byte the writer has not received, so the writer sees every byte exactly
///   once and in order. (This relies on stored files not changing, which holds for snapshot
///   files: each name is written once.) A get whose writer threw is not retried.
/// - `list`, `partials`, `size` and `delete` are idempotent and always retryable.
public final class RetryingStore: CancellableStore {
    public let inner: any Store
    /// Attempts after the first.
    public let retries: Int
    /// `initialDelay` seconds before the first retry, doubling, each varied by ±25%.
    public let backoff: Backoff
    /// Seconds before the first retry.
    public var initialDelay: Double { backoff.initial }
    private let sleep: @Sendable (Double) -> Void
    private let onRetry: (@Sendable (Int, any Error, Double) -> Void)?
    private let cancelFlag = CancelFlag()

    public var location: String { inner.location }
    public var singleAttempt: any Store { inner }

    /// - Parameters:
    ///   - sleep: waits the given seconds between attempts (tests replace it). The default wakes
    ///     every quarter second to notice `cancel()`, so a stop never waits out a long backoff.
    ///   - onRetry: called before each wait with the retry's number (1 for the first retry),
    ///     the error that caused it and the delay in seconds; for logging.
    public init(
        _ inner: any Store, retries: Int, initialDelay: Double,
        sleep: (@Sendable (Double) -> Void)? = nil,
        onRetry: (@Sendable (_ retry: Int, _ error: any Error, _ delay: Double) -> Void)? = nil
    ) {
        self.inner = inner
        self.retries = max(retries, 0)
        self.backoff = Backoff(initial: max(initialDelay, 0), factor: 2, jitter: 0.25)
        let flag = cancelFlag
        self.sleep = sleep ?? { seconds in
            var left = seconds
            while left > 0 && !flag.isSet {
                RetryingStore.sleepSeconds(min(left, 0.25))
                left -= 0.25
            }
        }
        self.onRetry = onRetry
    }

    // MARK: - Store

    public func put(
        _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        var readerCalled = false
        try attempt(canRetry: { !readerCalled }) {
            try inner.put(name, expectedSize: expectedSize) { buffer in
                readerCalled = true
                return try reader(buffer)
            }
        }
    }

    public func putFile(
        _ name: String, localPath: String, progress: ((_ sent: Int64, _ total: Int64) -> Void)?
    ) throws -> PutFileResult {
        // Each attempt resumes where the previous one stopped, so the result's `resumedFrom`
        // is where the successful attempt started.
        try attempt { try inner.putFile(name, localPath: localPath, progress: progress) }
    }

    public func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        var delivered: Int64 = 0
        var writerFailed = false
        try attempt(canRetry: { !writerFailed }) {
            try inner.get(name, offset: offset + delivered) { piece in
                do {
                    try writer(piece)
                } catch {
                    writerFailed = true
                    throw error
                }
                delivered += Int64(piece.count)
            }
        }
    }

    public func list(_ directory: String) throws -> [StoredObject] {
        try attempt { try inner.list(directory) }
    }

    public func partials(_ directory: String) throws -> [StoredObject] {
        try attempt { try inner.partials(directory) }
    }

    public func size(of name: String) throws -> Int64? {
        try attempt { try inner.size(of: name) }
    }

    public func delete(_ name: String) throws {
        try attempt { try inner.delete(name) }
    }

    /// Stops retrying and cancels the inner store's transfer if it can be cancelled.
    public func cancel() {
        cancelFlag.set()
        (inner as? any CancellableStore)?.cancel()
    }

    // MARK: - Retrying

    /// Whether `error` is worth another attempt.
    public static func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? StorageError else { return false }
        return !error.isPermanent
    }

    private func attempt<T>(canRetry: () -> Bool = { true }, _ body: () throws -> T) throws -> T {
        var retry = 0
        while true {
            do {
                return try body()
            } catch {
                retry += 1
                guard retry <= retries, !cancelFlag.isSet, Self.isTransient(error), canRetry() else { throw error }
                let delay = backoff.jitteredDelay(beforeRetry: retry)
                onRetry?(retry, error, delay)
                sleep(delay)
                guard !cancelFlag.isSet else { throw StorageError.cancelled(location: location) }
            }
        }
    }

    /// Sleeps the calling thread (not a cooperative-pool task) for `seconds`.
    public static func sleepSeconds(_ seconds: Double) {
        guard seconds > 0 else { return }
        let whole = seconds.rounded(.down)
        var request = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
