import Foundation
import Synchronization
import XCTest

/// The Debian package as an operator gets it: scripts/build-deb.sh builds it (once per test
/// run: the static release build takes minutes), lintian finds no error, `dpkg -i` installs
/// it on this machine, and then respaldo runs from PATH, has its man pages, its user, a unit
/// that systemd accepts; `dpkg --purge` leaves nothing behind but the backups.
///
/// It installs system-wide, so it needs root. In CI (CI set) nothing is skipped: a missing
/// precondition fails the test.
final class DebianPackageTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    private static let built = Mutex<Result<String, TestFailure>?>(nil)

    /// The package's path, built on first use.
    private static func package() throws -> String {
        try built.withLock { result in
            if let result { return result }
            let out = try? makeTempDirectory(prefix: "respaldo-deb")
            let r = try? Subprocess.run(["bash", root + "/scripts/build-deb.sh", out ?? "/tmp"], timeout: 3600)
            let built: Result<String, TestFailure> = if let r, r.exitCode == 0, let deb = r.stdoutLines.last, Files.exists(deb) {
                .success(deb)
            } else {
                .failure(TestFailure("scripts/build-deb.sh failed: \(r?.summary ?? "could not run")"))
            }
            result = built
            return built
        }.get()
    }

    private func requireRoot() throws {
        guard Tools.isRoot else {
            if ProcessInfo.processInfo.environment["CI"] != nil { throw TestFailure("the package test installs with dpkg: it needs root") }
            throw XCTSkip("the package test installs with dpkg: it needs root")
        }
        for tool in [("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper"), ("lintian", "lintian"), ("man", "man-db"), ("systemd-analyze", "systemd")] {
            try Tools.require(tool.0, package: tool.1)
        }
    }

    /// dpkg, retried while another dpkg or apt holds its lock.
    @discardableResult
    private func dpkg(_ args: [String]) throws -> ProcessResult {
        var last: ProcessResult?
        for _ in 0..<30 {
            let r = try Subprocess.run(["dpkg"] + args, environment: ["DEBIAN_FRONTEND": "noninteractive"], timeout: 300)
            guard r.exitCode != 0, r.stderrText.contains("lock") else { return r }
            last = r
            sleep(2)
        }
        throw TestFailure("dpkg stayed locked: \(last?.summary ?? "")")
    }

    func testThePackageInstallsRunsAndPurgesCleanly() throws {
        try requireRoot()
        let deb = try Self.package()
        XCTAssertTrue(deb.hasSuffix("/respaldo_\(try version())_amd64.deb"), deb)
        let lintian = try Subprocess.run(["lintian", "--fail-on", "error", deb], timeout: 600)
        assertExit(lintian, 0, "lintian reports no error")

        let contents = try Subprocess.checked(["dpkg-deb", "--contents", deb]).stdoutText
        for path in ["./usr/bin/respaldo", "./usr/share/man/man1/respaldo.1.gz", "./usr/share/man/man1/respaldo.backup.1.gz",
                     "./usr/share/man/man1/respaldo.check-config.1.gz", "./lib/systemd/system/respaldo.service",
                     "./usr/lib/sysusers.d/respaldo.conf", "./usr/lib/tmpfiles.d/respaldo.conf", "./etc/respaldo/respaldo.toml",
                     "./usr/share/bash-completion/completions/respaldo", "./usr/share/zsh/vendor-completions/_respaldo",
                     "./usr/share/fish/vendor_completions.d/respaldo.fish"] {
            XCTAssertTrue(contents.contains(path), "the package holds \(path)\n\(contents)")
        }
        if Files.exists(Self.root + "/contrib/prometheus/respaldo.rules.yml") {
            XCTAssertTrue(contents.contains("./usr/share/respaldo/prometheus/respaldo.rules.yml"), contents)
        }
        let conffiles = try Subprocess.checked(["dpkg-deb", "--info", deb, "conffiles"]).stdoutText
        XCTAssertTrue(conffiles.contains("/etc/respaldo/respaldo.toml"), "the example configuration is a conffile: \(conffiles)")
        let depends = try Subprocess.checked(["dpkg-deb", "--field", deb, "Depends"]).stdoutText
        XCTAssertFalse(depends.lowercased().contains("swift"), "no Swift runtime package is needed: \(depends)")

        // A leftover of an interrupted run goes first; this run's install goes at the end.
        if try dpkg(["--status", "respaldo"]).exitCode == 0 { try dpkg(["--purge", "respaldo"]) }
        let backupsExisted = Files.exists("/var/backups/respaldo")
        addTeardownBlock { [self] in
            _ = try? dpkg(["--purge", "respaldo"])
            if !backupsExisted { rmdir("/var/backups/respaldo") }
        }
        let install = try dpkg(["--install", deb])
        assertExit(install, 0, "dpkg -i")

        let version = try Subprocess.run(["respaldo", "--version"], environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        assertExit(version, 0, "respaldo --version from PATH")
        XCTAssertEqual(version.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), try self.version())
        XCTAssertEqual(try Subprocess.run(["ldd", "/usr/bin/respaldo"]).stdoutText.contains("libswift"), false, "the Swift runtime is linked in")
        let manual = try Subprocess.run(["man", "-w", "respaldo"])
        assertExit(manual, 0, "man -w respaldo")
        XCTAssertEqual(manual.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "/usr/share/man/man1/respaldo.1.gz")
        assertExit(try Subprocess.run(["man", "-w", "respaldo.drill"]), 0, "a man page per command")
        let user = try Subprocess.run(["getent", "passwd", "respaldo"])
        assertExit(user, 0, "the respaldo user")
        XCTAssertTrue(user.stdoutText.contains(":/var/lib/respaldo:/usr/sbin/nologin"), user.stdoutText)
        XCTAssertEqual(try owner("/var/lib/respaldo"), "respaldo:respaldo 700")
        XCTAssertEqual(try owner("/var/backups/respaldo"), "respaldo:respaldo 700")
        XCTAssertEqual(try owner("/etc/respaldo"), "root:respaldo 750")
        XCTAssertEqual(try owner("/etc/respaldo/respaldo.toml"), "root:respaldo 640", "the config is readable by the service's group only")
        let verify = try Subprocess.run(["systemd-analyze", "verify", "/lib/systemd/system/respaldo.service"], timeout: 60)
        assertExit(verify, 0, "systemd-analyze verify of the installed unit")
        XCTAssertEqual(verify.stderrText, "", "verify warns about the installed unit")
        XCTAssertTrue(try String(contentsOfFile: "/lib/systemd/system/respaldo.service", encoding: .utf8).contains("ExecStart=/usr/bin/respaldo daemon"))

        // The service user writes state and backups; purge must take the state and keep them.
        let id = try backUpAsTheServiceUser()
        let purge = try dpkg(["--purge", "respaldo"])
        assertExit(purge, 0, "dpkg --purge")
        for gone in ["/usr/bin/respaldo", "/etc/respaldo", "/var/lib/respaldo", "/lib/systemd/system/respaldo.service",
                     "/usr/share/man/man1/respaldo.1.gz", "/usr/lib/sysusers.d/respaldo.conf", "/usr/lib/tmpfiles.d/respaldo.conf"] {
            XCTAssertFalse(Files.exists(gone), "\(gone) is left after the purge")
        }
        XCTAssertTrue(Files.exists("/var/backups/respaldo/smoke/\(id).manifest.json"), "the backups stay")
        try? FileManager.default.removeItem(atPath: "/var/backups/respaldo/smoke")
        XCTAssertNotEqual(try dpkg(["--status", "respaldo"]).exitCode, 0, "the package is gone from dpkg's database")
    }

    /// One backup with the packaged layout, as the service user: a config beside the example.
    private func backUpAsTheServiceUser() throws -> String {
        let config = "/etc/respaldo/smoke.toml"
        try Files.write(config, """
            local_dir = "/var/backups/respaldo"
            state_dir = "/var/lib/respaldo"

            [[jobs]]
            name = "smoke"
            source = "command"
            command = ["echo", "packaged"]

            """, mode: 0o640)
        try Subprocess.checked(["chgrp", "respaldo", config])
        let r = try Subprocess.run(["runuser", "-u", "respaldo", "--", "respaldo", "backup", "--config", config],
                                   environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/var/lib/respaldo"])
        try requireExit(r, 0, "a backup as the respaldo user with the packaged layout")
        return try XCTUnwrap(r.stdoutLines.last)
    }

    private func owner(_ path: String) throws -> String {
        try Subprocess.checked(["stat", "-c", "%U:%G %a", path]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func version() throws -> String {
        let text = try String(contentsOfFile: Self.root + "/Sources/RespaldoCore/Jobs/Manifest.swift", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("public let respaldoVersion = ") }) else {
            throw TestFailure("no respaldoVersion")
        }
        return line.split(separator: "\"")[1].description
    }
}
