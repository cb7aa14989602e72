import Foundation
import Logging
import Storage
import TestFixtures
import Threading
import XCTest

@testable import RespaldoCore

/// The daemon in this process, on a clock the test moves: a job scheduled every minute waits
/// for its minute, fires at it (by the daemon's own clock), runs once and is re-armed for
/// the next minute. The real process (notify socket, signals, metrics, status) is
/// IntegrationTests' DaemonTests; neither waits for a wall-clock minute.
final class DaemonScheduleTests: XCTestCase {
    private var dir: String!
    private let utc = TimeZone(identifier: "UTC") ?? .gmt
    private let logs = LogCapture()

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-sched-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(atPath: dir) }
    }

    private func instant(_ text: String) throws -> Date {
        try XCTUnwrap(ISO8601DateFormatter().date(from: text), text)
    }

    /// Notifications until one contains `text`, or nil after `seconds` of real time.
    private func receive(_ listener: NotifyListener, until text: String, seconds: TimeInterval = 30) -> [String]? {
        var seen: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let message = listener.receive(timeout: 0.5) else { continue }
            seen.append(message)
            if message.contains(text) { return seen }
        }
        XCTFail("no notification with \"\(text)\" within \(seconds) s: \(seen)\n\(logs.text)")
        return nil
    }

    func testAJobFiresAtItsMinuteByTheInjectedClock() throws {
        let configPath = dir + "/respaldo.toml"
        let config = try Config.parse(text: """
            local_dir = "\(dir!)/local"
            state_dir = "\(dir!)/state"
            timezone = "UTC"

            [[jobs]]
            name = "quick"
            source = "command"
            command = ["echo", "hello"]
            schedule = "* * * * *"
            """, path: configPath, checkFiles: false)
        let listener = try NotifyListener(folder: dir)
        let start = try instant("2030-01-01T00:00:58Z")
        let minute = try instant("2030-01-01T00:01:00Z")
        let timer = try ManualWakeTimer(now: start)
        let service = try DaemonService(
            configPath: configPath, config: config, logger: logs.logger(),
            notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address]),
            cancellation: CancellationToken(), now: { timer.now }, timer: timer)
        let control = service.control
        let stopped = DispatchSemaphore(value: 0)
        let handOff = HandOff(service)
        Thread {
            handOff.take().run()
            stopped.signal()
        }.start()
        var stoppedAlready = false
        defer {
            if !stoppedAlready {
                control.requestStop()
                _ = stopped.wait(timeout: .now() + 30)
            }
        }
        let snapshots = { try Catalog.snapshots(in: LocalStore(root: config.localDir), job: "quick") }

        // Two seconds before the minute: ready, idle, and nothing has run.
        let ready = try XCTUnwrap(receive(listener, until: "READY=1")?.last)
        XCTAssertTrue(ready.contains("STATUS=idle; next: quick at \(RFC3339.format(minute, in: utc))"), ready)
        XCTAssertEqual(try snapshots().count, 0, "nothing runs before its minute")

        // The minute: the run starts at it, by the daemon's clock, and ends; the job is
        // re-armed for the next minute.
        timer.advance(to: minute)
        let running = try XCTUnwrap(receive(listener, until: "STATUS=running"))
        XCTAssertTrue(running.contains { $0.contains("STATUS=running quick since \(RFC3339.format(minute, in: utc))") },
                      "the run should start at its scheduled minute: \(running)")
        let next = RFC3339.format(minute.addingTimeInterval(60), in: utc)
        XCTAssertNotNil(receive(listener, until: "STATUS=idle; next: quick at \(next)"))
        // Jobs read the daemon's clock too: the id is the run's start, to the second.
        XCTAssertEqual(try snapshots().map(\.id), ["quick-20300101T000100Z"], "quick fired once, at its minute:\n\(logs.text)")
        XCTAssertTrue(logs.text.contains("quick: done in"), logs.text)
        XCTAssertFalse(logs.text.contains("was missed"), "a scheduled run, not a catch-up:\n\(logs.text)")

        control.requestStop()
        XCTAssertEqual(stopped.wait(timeout: .now() + 30), .success, "the daemon stops:\n\(logs.text)")
        stoppedAlready = true
        XCTAssertEqual(try snapshots().count, 1, "one run at that minute:\n\(logs.text)")
    }

    /// README: pending uploads are retried "after a failure every 5 minutes, doubling up to 6 hours".
    func testPendingUploadsAreRetriedAfterFiveMinutesThenDoublingUpToSixHours() {
        let waits = (1...9).map { DaemonService.pendingUploadBackoff.delay(beforeRetry: $0) }
        XCTAssertEqual(waits, [300, 600, 1200, 2400, 4800, 9600, 19200, 21600, 21600])
    }
}
