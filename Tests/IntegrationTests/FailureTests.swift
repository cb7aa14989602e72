import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Failure is loud and leaves nothing behind: failing, empty, killed and too-small dumps;
/// damaged artifacts; the wrong identity.
final class FailureTests: XCTestCase {
    /// The state of a job's folder: file name -> SHA-256.
    private func fingerprint(_ ws: Workspace, _ job: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in Files.list(ws.jobDir(job)) { out[name] = try Files.sha256(ws.jobDir(job) + "/" + name) }
        return out
    }

    /// Asserts a failed run: exit 1, no id printed, a message on stderr, no .partial file.
    private func assertFailedRun(_ r: ProcessResult, _ ws: Workspace, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        assertExit(r, 1, what, file: file, line: line)
        XCTAssertTrue(r.stdoutLines.filter { matches($0, snapshotIDPattern) }.isEmpty, "a failed run must print no snapshot id\n\(r.summary)", file: file, line: line)
        XCTAssertFalse(r.stderrText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "a failed run must say why on stderr\n\(r.summary)", file: file, line: line)
        XCTAssertEqual(ws.partialFiles(), [], "no .partial file may remain after: \(what)", file: file, line: line)
    }

    /// Scenario 3: a dump that writes some bytes then exits 3 fails the run; the older
    /// snapshot stays byte-identical and still verifies; the next good run works.
    func testFailingDumpLeavesNoSnapshotAndKeepsOlderOne() throws {
        let ws = try Workspace.make(for: self, "fail")
        let original = ws.path("original.bin")
        try makeSampleFile(original)
        try ws.writeConfig(Workspace.commandJob("db", ["cat", original]))
        let good = try ws.backup("db")
        let before = try fingerprint(ws, "db")

        try ws.writeConfig(Workspace.commandJob("db", ["sh", "-c", "echo partial; exit 3"]))
        let r = try ws.respaldo("backup", "db")
        assertFailedRun(r, ws, "a dump exiting 3")
        XCTAssertEqual(try fingerprint(ws, "db"), before, "the job's folder must be unchanged (older snapshot byte-identical, nothing new)")
        XCTAssertEqual(ws.snapshotIDs("db"), [good])
        XCTAssertEqual(try ws.listJSON().map { jsonString($0["id"]) }, [good], "list shows only the good snapshot")
        assertExit(try ws.respaldo("verify", good), 0, "the older snapshot still verifies")

        // The failure released the lock and left a usable state: the next good run succeeds.
        try ws.writeConfig(Workspace.commandJob("db", ["cat", original]))
        let next = try ws.backup("db")
        XCTAssertNotEqual(next, good)
        XCTAssertEqual(Set(ws.snapshotIDs("db")), [good, next])
    }

    /// Scenario 4: a dump with no output fails the run and leaves nothing.
    func testEmptyDumpFails() throws {
        let ws = try Workspace.make(for: self, "empty")
        try ws.writeConfig(Workspace.commandJob("empty", ["true"]))
        let r = try ws.respaldo("backup", "empty")
        assertFailedRun(r, ws, "an empty dump")
        XCTAssertEqual(Files.list(ws.jobDir("empty")), [], "nothing may be left in the job's folder")
        XCTAssertEqual(try ws.listJSON().count, 0, "list shows nothing")
    }

    /// A dump killed by a signal after writing output fails the run.
    func testDumpKilledBySignalFails() throws {
        let ws = try Workspace.make(for: self, "signal")
        try ws.writeConfig(Workspace.commandJob("killed", ["sh", "-c", "head -c 200000 /dev/urandom; kill -9 $$"]))
        let r = try ws.respaldo("backup", "killed")
        assertFailedRun(r, ws, "a dump killed by SIGKILL")
        XCTAssertEqual(Files.list(ws.jobDir("killed")), [])
    }

    /// A dump smaller than the job's min_bytes fails the run.
    func testDumpBelowMinBytesFails() throws {
        let ws = try Workspace.make(for: self, "small")
        try ws.writeConfig(Workspace.commandJob("small", ["echo", "too small"], extra: "min_bytes = 100000"))
        let r = try ws.respaldo("backup", "small")
        assertFailedRun(r, ws, "a dump below min_bytes")
        XCTAssertEqual(Files.list(ws.jobDir("small")), [])
    }

    /// Scenario 5: one flipped byte in an artifact makes verify fail naming that snapshot;
    /// another snapshot of the same job still verifies on its own.
    func testFlippedByteIsDetected() throws {
        let ws = try Workspace.make(for: self, "flip")
        let original = ws.path("original.bin")
        try makeSampleFile(original)
        try ws.writeConfig(Workspace.commandJob("db", ["cat", original]))
        let damaged = try ws.backup("db")
        let intact = try ws.backup("db")
        let artifact = try ws.artifactPath("db", damaged)
        try Files.flipByte(artifact, at: try Files.size(artifact) / 2)

        let all = try ws.respaldo("verify")
        assertExit(all, 1, "verify must find the flipped byte")
        XCTAssertTrue(all.output.contains(damaged), "verify must name the damaged snapshot \(damaged)\n\(all.summary)")
        let one = try ws.respaldo("verify", damaged)
        assertExit(one, 1, "verify ID of the damaged snapshot")
        XCTAssertTrue(one.output.contains(damaged), one.summary)
        assertExit(try ws.respaldo("verify", intact), 0, "the other snapshot is fine")
        assertExit(try ws.respaldo("verify", "--latest"), 0, "verify --latest checks only the newest (intact) snapshot")

        let json = try ws.respaldo("verify", "--json")
        assertExit(json, 1, "verify --json exits 1 too")
        guard let array = try parseJSON(json.stdoutText, "verify --json") as? [[String: Any]] else {
            return XCTFail("verify --json is not an array: \(json.summary)")
        }
        let byID = Dictionary(array.compactMap { o in jsonString(o["id"]).map { ($0, o) } }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual((byID[damaged]?["ok"] as? NSNumber)?.boolValue, false, "\(array)")
        XCTAssertFalse(((byID[damaged]?["problems"] as? [String]) ?? []).isEmpty, "the damaged snapshot lists its problem: \(array)")
        XCTAssertEqual((byID[intact]?["ok"] as? NSNumber)?.boolValue, true, "\(array)")
        XCTAssertNotNil(byID[damaged]?["deep"], "verify --json has a deep field: \(array)")

        // restore refuses the damaged snapshot and leaves no output.
        let out = ws.path("out/restored.bin")
        try FileManager.default.createDirectory(atPath: ws.path("out"), withIntermediateDirectories: true)
        assertExit(try ws.respaldo("restore", damaged, "--output", out), 1, "restore of a damaged snapshot")
        XCTAssertEqual(Files.list(ws.path("out")), [], "a failed restore leaves no file")
    }

    /// A flipped byte inside an encrypted artifact is caught by deep verify too, and by
    /// restore with the identity.
    func testFlippedByteInEncryptedArtifactFailsDeepVerify() throws {
        let ws = try Workspace.make(for: self, "flipage")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let original = ws.path("original.bin")
        try makeSampleFile(original)
        try ws.writeConfig(recipients: [key.recipient], Workspace.commandJob("db", ["cat", original]))
        let id = try ws.backup("db")
        let artifact = try ws.artifactPath("db", id)
        try Files.flipByte(artifact, at: try Files.size(artifact) - 100)
        let r = try ws.respaldo("verify", id, "--identity", key.identityPath)
        assertExit(r, 1, "deep verify of a damaged encrypted artifact")
        XCTAssertTrue(r.output.contains(id), r.summary)
        try FileManager.default.createDirectory(atPath: ws.path("out"), withIntermediateDirectories: true)
        assertExit(try ws.respaldo("restore", id, "--identity", key.identityPath, "--output", ws.path("out/x.bin")), 1, "restore of a damaged encrypted artifact")
        XCTAssertEqual(Files.list(ws.path("out")), [], "a failed restore leaves no file")
    }

    /// Scenario 6: a truncated artifact (encrypted and not) fails verify, and restore exits 1
    /// leaving no output file.
    func testTruncatedArtifact() throws {
        let ws = try Workspace.make(for: self, "trunc")
        let key = try AgeKey.generate(ws.path("key.txt"))
        let original = ws.path("original.bin")
        try makeSampleFile(original)
        for encrypted in [true, false] {
            let job = encrypted ? "enc" : "plain"
            try ws.writeConfig(recipients: encrypted ? [key.recipient] : nil, Workspace.commandJob(job, ["cat", original]))
            let id = try ws.backup(job)
            let artifact = try ws.artifactPath(job, id)
            try Files.truncate(artifact, to: try Files.size(artifact) / 2)

            let v = try ws.respaldo("verify", id)
            assertExit(v, 1, "verify of a truncated \(job) artifact")
            XCTAssertTrue(v.output.contains(id), v.summary)
            let deep = try ws.respaldo("verify", id, "--identity", key.identityPath)
            assertExit(deep, 1, "verify --identity of a truncated \(job) artifact")

            let outDir = ws.path("out-\(job)")
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            let r = try ws.respaldo("restore", id, "--identity", key.identityPath, "--output", outDir + "/restored.bin")
            assertExit(r, 1, "restore of a truncated \(job) artifact")
            XCTAssertEqual(Files.list(outDir), [], "a failed restore leaves no output (nor a .partial)")
        }
    }

    /// Scenario 7: the wrong identity cannot verify or restore an encrypted snapshot.
    func testWrongIdentity() throws {
        let ws = try Workspace.make(for: self, "wrongkey")
        let right = try AgeKey.generate(ws.path("key.txt"))
        let other = try AgeKey.generate(ws.path("other.txt"))
        try ws.writeConfig(recipients: [right.recipient], Workspace.commandJob("db", ["seq", "1", "50000"]))
        let id = try ws.backup("db")

        let wrong = try ws.respaldo("verify", "--identity", other.identityPath)
        assertExit(wrong, 1, "verify with an identity that is not a recipient")
        XCTAssertTrue(wrong.output.contains(id), "the message names the snapshot\n\(wrong.summary)")
        try FileManager.default.createDirectory(atPath: ws.path("out"), withIntermediateDirectories: true)
        assertExit(try ws.respaldo("restore", id, "--identity", other.identityPath, "--output", ws.path("out/x.sql")), 1, "restore with the wrong identity")
        XCTAssertEqual(Files.list(ws.path("out")), [], "a failed restore leaves no file")

        let noIdentity = try ws.respaldo("restore", id, "--output", ws.path("out/y.sql"))
        XCTAssertNotEqual(noIdentity.exitCode, 0, "restore of an encrypted snapshot without an identity must fail\n\(noIdentity.summary)")
        XCTAssertEqual(Files.list(ws.path("out")), [], "a failed restore leaves no file")

        assertExit(try ws.respaldo("verify", "--identity", right.identityPath), 0, "the right identity verifies")
    }

    /// SIGTERM or SIGINT in the middle of a backup (systemd stop, Ctrl-C) fails the run,
    /// removes the temporary file, stops the dump command and releases the lock.
    func testInterruptedBackupLeavesNothing() throws {
        for (sig, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            let ws = try Workspace.make(for: self, "intr")
            let marker = "respaldo-it-interrupt-\(UInt32.random(in: 0 ... .max))"
            try ws.writeConfig(Workspace.commandJob("slow", ["sh", "-c", "head -c 1000000 /dev/urandom; sleep 6; echo \(marker)"]))
            let run = try ws.startRespaldo("backup", "slow", timeout: 60)
            let deadline = Date().addingTimeInterval(20)
            while ws.partialFiles().isEmpty && processIsAlive(run.pid) && Date() < deadline { usleep(20_000) }
            XCTAssertFalse(ws.partialFiles().isEmpty, "the backup should be writing its .partial file by now")
            usleep(200_000)
            kill(run.pid, sig)
            let r = run.wait()
            XCTAssertNotEqual(r.exitCode, 0, "a backup interrupted by \(name) must fail\n\(r.summary)")
            XCTAssertLessThan(r.seconds, 5, "\(name) must stop the run promptly, not wait for the dump\n\(r.summary)")
            XCTAssertEqual(ws.partialFiles(), [], "no .partial file after \(name)")
            XCTAssertEqual(ws.snapshotIDs("slow"), [], "no snapshot after \(name)")
            usleep(100_000)
            XCTAssertEqual(processes(withArgument: marker), [], "the dump command must not outlive respaldo after \(name)")
            try ws.writeConfig(Workspace.commandJob("slow", ["echo", "quick"]))
            assertExit(try ws.respaldo("backup", "slow"), 0, "the lock is free after \(name)")
        }
    }
}
