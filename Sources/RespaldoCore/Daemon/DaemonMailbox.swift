import Synchronization

/// What signal and worker threads tell the daemon's loop; each message wakes it.
final class DaemonMailbox: Sendable {
    struct Messages {
        var stopRequested = false
        var reloadRequested = false
        var finished: [TaskOutcome] = []
        var uploadsFinished: Bool?
    }

    private let messages = Mutex(Messages())
    private let timer: any DaemonTimer

    init(timer: any DaemonTimer) { self.timer = timer }

    func post(_ change: (inout Messages) -> Void) {
        messages.withLock { change(&$0) }
        timer.wake()
    }

    func requestStop() { post { $0.stopRequested = true } }

    func requestReload() { post { $0.reloadRequested = true } }

    var stopRequested: Bool { messages.withLock { $0.stopRequested } }

    func takeReloadRequest() -> Bool {
        messages.withLock { messages in
            defer { messages.reloadRequested = false }
            return messages.reloadRequested
        }
    }

    /// The runs that ended and the outcome of the upload retry (nil: none ended), since last asked.
    func takeFinished() -> (runs: [TaskOutcome], uploadsClean: Bool?) {
        messages.withLock { messages in
            defer {
                messages.finished = []
                messages.uploadsFinished = nil
            }
            return (messages.finished, messages.uploadsFinished)
        }
    }
}

/// What another thread may ask of a running `DaemonService`: what SIGTERM and SIGHUP ask.
public struct DaemonControl: Sendable {
    let mailbox: DaemonMailbox

    public func requestStop() { mailbox.requestStop() }

    public func requestReload() { mailbox.requestReload() }
}
