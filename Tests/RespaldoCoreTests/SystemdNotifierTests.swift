import Foundation
import TestFixtures
import XCTest

@testable import RespaldoCore

final class SystemdNotifierTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("respaldo-notify-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(atPath: dir) }
    }

    func testPathSocketReceivesReadyStatusWatchdogAndStopping() throws {
        let listener = try NotifyListener(folder: dir)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        XCTAssertTrue(notifier.isEnabled)

        try notifier.ready(status: "loaded 2 jobs\nnext: crm at 01:00")
        XCTAssertEqual(listener.receive(timeout: 5), "READY=1\nSTATUS=loaded 2 jobs next: crm at 01:00")
        try notifier.status("backing up crm")
        XCTAssertEqual(listener.receive(timeout: 5), "STATUS=backing up crm")
        try notifier.watchdog()
        XCTAssertEqual(listener.receive(timeout: 5), "WATCHDOG=1")
        try notifier.stopping()
        XCTAssertEqual(listener.receive(timeout: 5), "STOPPING=1")
    }

    func testAbstractSocketReceivesReady() throws {
        let listener = try NotifyListener(folder: nil)
        XCTAssertTrue(listener.address.hasPrefix("@"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        try notifier.ready()
        XCTAssertEqual(listener.receive(timeout: 5), "READY=1")
        try notifier.watchdog()
        XCTAssertEqual(listener.receive(timeout: 5), "WATCHDOG=1")
    }

    func testReloadingCarriesCurrentMonotonicTime() throws {
        let listener = try NotifyListener(folder: dir)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        let before = SystemdNotifier.monotonicMicroseconds()
        try notifier.reloading()
        let after = SystemdNotifier.monotonicMicroseconds()
        let message = try XCTUnwrap(listener.receive(timeout: 5))
        let lines = message.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "RELOADING=1")
        let usec = try XCTUnwrap(lines.first { $0.hasPrefix("MONOTONIC_USEC=") }.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        XCTAssertTrue((before...after).contains(usec), "\(usec) not within \(before)...\(after)")
    }

    func testWithoutNotifySocketEverythingIsANoOp() throws {
        let notifier = SystemdNotifier(environment: [:])
        XCTAssertFalse(notifier.isEnabled)
        XCTAssertNil(notifier.watchdogInterval)
        XCTAssertNoThrow(try notifier.ready())
        XCTAssertNoThrow(try notifier.watchdog())
    }

    func testBadSocketAddressesAreErrorsNamingThem() {
        for address in ["relative/notify", "@", "/" + String(repeating: "x", count: 200)] {
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": address])
            XCTAssertThrowsError(try notifier.ready(), address) { error in
                XCTAssertEqual(error as? SystemdNotifyError, .invalidSocketAddress(address))
            }
        }
        let missing = SystemdNotifier(environment: ["NOTIFY_SOCKET": dir + "/nobody-listens"])
        XCTAssertThrowsError(try missing.ready()) { error in
            XCTAssertTrue("\(error)".contains(self.dir + "/nobody-listens"), "\(error)")
        }
    }

    func testWatchdogIntervalIsHalfOfWatchdogUsecForThisProcessOnly() {
        let me = getpid()
        XCTAssertEqual(SystemdNotifier(environment: ["WATCHDOG_USEC": "120000000"], pid: me).watchdogInterval, .seconds(60))
        XCTAssertEqual(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "3000001", "WATCHDOG_PID": "\(me)"], pid: me).watchdogInterval,
            .microseconds(1_500_000))
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "\(me + 1)"], pid: me).watchdogInterval)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"], pid: me).watchdogInterval)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "soon"], pid: me).watchdogInterval)
    }
}

/// A Bool shared with a @Sendable closure.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Bool
    init(_ value: Bool) { stored = value }
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
