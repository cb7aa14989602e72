import Foundation
import Logging

/// What the PostgreSQL and MySQL row counters share: an open SQL session whose counts are
/// taken on a thread of their own once the dump has started, then collected when the dump
/// succeeded, or dropped without waiting for them when it failed.
final class CountingSession: @unchecked Sendable {
    let session: SQLSession
    let database: String
    let logger: Logger
    /// What the log line counts ("tables", "InnoDB tables").
    private let counts: String
    private let counted = DispatchSemaphore(value: 0)
    private var started = false
    // Written by the counting thread before it signals `counted`, read after.
    private var result: Result<[TableRowCount], any Error>?

    init(session: SQLSession, database: String, counts: String, logger: Logger) {
        self.session = session
        self.database = database
        self.counts = counts
        self.logger = logger
    }

    /// Runs `count` on its own thread (the dump runs meanwhile).
    func start(_ count: @escaping @Sendable () throws -> [TableRowCount]) {
        started = true
        let thread = Thread { [self] in
            result = Result { try count() }
            counted.signal()
        }
        thread.start()
    }

    /// The counts, or nil with a warning; ends the session.
    func finish() -> [TableRowCount]? {
        guard started else { return nil }
        waitForCounts()
        session.send("COMMIT;")
        session.close()
        switch result {
        case let .success(counts)?:
            logger.info("row counts of \(database): \(counts.count) \(self.counts), \(counts.reduce(0) { $0 + $1.rows }) rows")
            return counts
        case let .failure(error)?:
            logger.warning("row counts of \(database) not recorded: \(error)")
            return nil
        case nil:
            return nil
        }
    }

    /// Harmless after `finish`.
    func abandon() {
        session.terminate()
        if started { waitForCounts() }
        session.close()
    }

    private func waitForCounts() {
        counted.wait()
        counted.signal()
    }
}
