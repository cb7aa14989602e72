import Foundation
import Logging
import Threading

/// What the PostgreSQL and MySQL row counters share: an open SQL session whose counts are
/// taken on a thread of their own once the dump has started, then collected when the dump
/// succeeded, or dropped without waiting for them when it failed.
///
/// The session has one owner at a time: this object, then the counting thread (it moves there
/// in a `HandOff` and comes back with the counts), then this object again. Only stopping the
/// client reaches it from any thread.
final class CountingSession {
    let database: String
    let logger: Logger
    /// What the log line counts ("tables", "InnoDB tables").
    private let counts: String
    /// Here unless the counting thread has it.
    private var session: SQLSession?
    private let stopClient: @Sendable () -> Void
    /// True from `start` until the session is back here.
    private var counting = false

    private struct Counted: Sendable {
        var result: Result<[TableRowCount], any Error>
        var session: HandOff<SQLSession>
    }

    private let counted = ConditionLock<Counted?>(nil)

    init(session: SQLSession, database: String, counts: String, logger: Logger) {
        self.session = session
        stopClient = session.stopper
        self.database = database
        self.counts = counts
        self.logger = logger
    }

    /// Runs `count` on its own thread, with the session (the dump runs meanwhile).
    func start(_ count: @escaping @Sendable (SQLSession) throws -> [TableRowCount]) {
        guard let session = session.take() else { return }
        counting = true
        let handOff = HandOff(session)
        let thread = Thread { [counted] in
            let session = handOff.take()
            let result = Result { try count(session) }
            let back = HandOff(session)
            counted.change { $0 = Counted(result: result, session: back) }
        }
        thread.start()
    }

    /// The counts, or nil with a warning; ends the session.
    func finish() -> [TableRowCount]? {
        guard let result = collect() else { return nil }
        session?.send("COMMIT;")
        session?.close()
        switch result {
        case let .success(counts):
            logger.info("row counts of \(database): \(counts.count) \(self.counts), \(counts.reduce(0) { $0 + $1.rows }) rows")
            return counts
        case let .failure(error):
            logger.warning("row counts of \(database) not recorded: \(error)")
            return nil
        }
    }

    /// Harmless after `finish`.
    func abandon() {
        stopClient()
        _ = collect()
        session?.close()
    }

    /// Waits for the counting thread to give the session back; its result, or nil when no
    /// count was started (or it was collected already).
    private func collect() -> Result<[TableRowCount], any Error>? {
        guard counting else { return nil }
        counting = false
        let counted = counted.wait(until: { $0 != nil }, then: { $0! })
        session = counted.session.take()
        return counted.result
    }
}
