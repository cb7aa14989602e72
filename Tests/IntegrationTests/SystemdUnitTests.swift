import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The shipped systemd files, checked by systemd's own tools: the sandbox's exposure score,
/// the unit's syntax, and the sysusers/tmpfiles snippets applied to a scratch root.
final class SystemdUnitTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let unit = repoRoot + "/systemd/respaldo.service"
    /// The ceiling for `systemd-analyze security`'s overall exposure (0 best, 10 worst).
    static let maximumExposure = 1.5

    func testSecurityExposureIsAtMostTheThreshold() throws {
        // --threshold (on a 0-100 scale) also makes the exit status fail above the ceiling.
        let threshold = Int(Self.maximumExposure * 10)
        let r = try Subprocess(
            ["systemd-analyze", "security", "--offline=true", "--no-pager", "--threshold=\(threshold)", Self.unit],
            environment: ["SYSTEMD_COLORS": "0"], timeout: 60
        ).wait()
        assertExit(r, 0, "systemd-analyze security")
        let exposure = try Self.overallExposure(r.output)
        XCTAssertLessThanOrEqual(exposure, Self.maximumExposure, r.stdoutText)
        // The settings the issue names by name are all in force.
        for passed in [
            "✓ User=/DynamicUser=", "✓ ProtectSystem=", "✓ PrivateTmp=", "✓ PrivateDevices=", "✓ NoNewPrivileges=",
            "✓ CapabilityBoundingSet=~CAP_SYS_ADMIN", "✓ RestrictAddressFamilies=~AF_PACKET", "✓ SystemCallFilter=~@privileged",
            "✓ UMask=",
        ] {
            XCTAssertTrue(r.stdoutText.contains(passed), "\(passed) is not met:\n\(r.stdoutText)")
        }
    }

    func testExposureParserReadsTheOverallLine() throws {
        XCTAssertEqual(try Self.overallExposure("x\n→ Overall exposure level for respaldo.service: 1.2 OK 🙂\n"), 1.2)
        XCTAssertEqual(try Self.overallExposure("→ Overall exposure level for a.service: 9.6 UNSAFE 😨"), 9.6)
        XCTAssertThrowsError(try Self.overallExposure("no such line"))
    }

    /// `systemd-analyze verify` works offline here, but insists that ExecStart's binary exists,
    /// and /usr/local/bin/respaldo is not installed on a build machine: the check runs on a copy
    /// whose ExecStart names an existing executable, the rest unchanged.
    func testUnitVerifiesWithoutWarnings() throws {
        let ws = try Workspace.make(for: self, "unit")
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        XCTAssertTrue(text.contains("\nExecStart=/usr/local/bin/respaldo daemon\n"))
        let copy = ws.path("respaldo.service")
        try Data(text.replacingOccurrences(of: "ExecStart=/usr/local/bin/respaldo", with: "ExecStart=/bin/true").utf8)
            .write(to: URL(fileURLWithPath: copy))
        let r = try verify(copy)
        assertExit(r, 0, "systemd-analyze verify")
        XCTAssertEqual(r.stderrText, "", "verify warns about the unit")

        // The check has teeth: verify exits 0 on an unknown key but says so on stderr.
        let bad = ws.path("bad.service")
        try Data((text.replacingOccurrences(of: "ExecStart=/usr/local/bin/respaldo", with: "ExecStart=/bin/true") + "ProtectSytem=strict\n").utf8)
            .write(to: URL(fileURLWithPath: bad))
        XCTAssertTrue(try verify(bad).stderrText.contains("ProtectSytem"))
    }

    func testSysusersAndTmpfilesCreateThePrivateFolders() throws {
        guard getuid() == 0 else { throw XCTSkip("systemd-tmpfiles can give folders to the respaldo user only as root") }
        let ws = try Workspace.make(for: self, "sysroot")
        let root = ws.path("root")
        for folder in ["usr/lib/sysusers.d", "usr/lib/tmpfiles.d", "etc"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: Self.repoRoot + "/systemd/respaldo.sysusers", toPath: root + "/usr/lib/sysusers.d/respaldo.conf")
        try FileManager.default.copyItem(atPath: Self.repoRoot + "/systemd/respaldo.tmpfiles", toPath: root + "/usr/lib/tmpfiles.d/respaldo.conf")

        assertExit(try Subprocess(["systemd-sysusers", "--root=\(root)", "respaldo.conf"], timeout: 60).wait(), 0, "systemd-sysusers")
        let passwd = try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)
        let entry = try XCTUnwrap(passwd.split(separator: "\n").first { $0.hasPrefix("respaldo:") }, passwd)
        let fields = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields.count, 7, String(entry))
        let uid = try XCTUnwrap(UInt32(fields[2]))
        XCTAssertLessThan(uid, 1000, "a system user")
        XCTAssertEqual(fields[5], "/var/lib/respaldo")
        XCTAssertEqual(fields[6], "/usr/sbin/nologin")

        let r = try Subprocess(["systemd-tmpfiles", "--create", "--root=\(root)", "respaldo.conf"], timeout: 60).wait()
        assertExit(r, 0, "systemd-tmpfiles")
        for folder in ["/var/lib/respaldo", "/var/backups/respaldo"] {
            var info = stat()
            XCTAssertEqual(stat(root + folder, &info), 0, folder)
            XCTAssertEqual(info.st_mode & 0o7777, 0o700, folder)
            XCTAssertEqual(info.st_uid, uid, folder)
            XCTAssertEqual(info.st_gid, uid, folder)
        }
        var etc = stat()
        XCTAssertEqual(stat(root + "/etc/respaldo", &etc), 0)
        XCTAssertEqual(etc.st_mode & 0o7777, 0o750)
        XCTAssertEqual(etc.st_uid, 0)
    }

    // MARK: - Helpers

    private func verify(_ path: String) throws -> ProcessResult {
        try Subprocess(["systemd-analyze", "verify", "--man=no", path], environment: ["SYSTEMD_COLORS": "0"], timeout: 60).wait()
    }

    /// The number in "→ Overall exposure level for X.service: 1.2 OK 🙂".
    static func overallExposure(_ output: String) throws -> Double {
        for line in output.split(separator: "\n") where line.contains("Overall exposure level for") {
            let afterColon = line.split(separator: ":").last ?? ""
            if let value = afterColon.split(separator: " ").first.flatMap({ Double($0) }) { return value }
        }
        throw TestFailure("no \"Overall exposure level\" line in:\n\(output.prefix(4000))")
    }
}
