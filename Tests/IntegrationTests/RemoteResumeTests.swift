import Foundation
import XCTest

/// sshd killed in the middle of a large upload: nothing under the final name, the `.partial`
/// kept; the next `upload` (or the retry within the same one) resumes it to a byte-identical copy.
final class RemoteResumeTests: XCTestCase {
    static let sourceBytes = 160 << 20

    func testServerKilledMidUploadThenUploadResumes() throws {
        let setup = try RemoteSetup.make(for: self, "resume")
        let ws = setup.ws
        let original = ws.path("original.bin")
        // Random bytes do not compress: the artifact is as large as the source.
        try Subprocess.checked(["bash", "-c", "head -c \(Self.sourceBytes) /dev/urandom > \"$1\"", "_", original], timeout: 60)
        try setup.writeConfig(remotes: [setup.remote("geo", retries: 0)], jobRemotes: ["geo"], source: original)
        let backup = try ws.respaldo("backup", "db", "--no-upload")
        assertExit(backup, 0, "backup --no-upload")
        let id = try XCTUnwrap(backup.stdoutLines.last)
        XCTAssertEqual(setup.pendingIDs("geo"), [id], "--no-upload leaves the snapshot pending")
        let artifactName = URL(fileURLWithPath: try ws.artifactPath("db", id)).lastPathComponent

        // 1. No retries: the upload fails when the server dies, keeping the .partial.
        let killedAt = try uploadAndKillServer(setup, artifactName)
        let finalPath = setup.remoteJobDir("geo") + "/" + artifactName
        XCTAssertFalse(Files.exists(finalPath), "nothing may appear under the final name")
        let partialSize = try Files.size(finalPath + ".partial")
        XCTAssertGreaterThanOrEqual(partialSize, killedAt, "the interrupted upload's .partial is kept")
        XCTAssertLessThan(partialSize, Self.sourceBytes)
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [], "no manifest before the artifact is complete")
        XCTAssertEqual(setup.pendingIDs("geo"), [id])

        // 2. The server is back: `upload` continues the .partial instead of starting over.
        try setup.sshd.start()
        let resumed = try ws.respaldo("upload", "db")
        assertExit(resumed, 0, "upload after the server came back")
        XCTAssertTrue(resumed.stderrText.contains("resumed at"), "the upload must resume the .partial: \(resumed.summary)")
        try setup.assertRemoteCopy("geo", id)
        XCTAssertEqual(setup.pendingIDs("geo"), [])
        XCTAssertFalse(setup.remoteFiles("geo").contains { $0.hasSuffix(".partial") })
        print("resume: sshd killed with \(partialSize) bytes of \(Self.sourceBytes) on the remote; `upload` resumed from there")
    }

    /// With retries configured, the same upload survives the server's death and return: it
    /// logs the retry and resumes the .partial within one `upload` run.
    func testRetryWithinOneUploadResumes() throws {
        let setup = try RemoteSetup.make(for: self, "retry")
        let ws = setup.ws
        let original = ws.path("original.bin")
        try Subprocess.checked(["bash", "-c", "head -c \(Self.sourceBytes) /dev/urandom > \"$1\"", "_", original], timeout: 60)
        try setup.writeConfig(remotes: [setup.remote("geo", retries: 4, retryDelay: 1)], jobRemotes: ["geo"], source: original)
        let backup = try ws.respaldo("backup", "db", "--no-upload")
        assertExit(backup, 0, "backup --no-upload")
        let id = try XCTUnwrap(backup.stdoutLines.last)
        let artifactName = URL(fileURLWithPath: try ws.artifactPath("db", id)).lastPathComponent

        try uploadAndKillServer(setup, artifactName, restartAfter: 0.3)
        XCTAssertEqual(setup.remoteSnapshotIDs("geo"), [id])
        XCTAssertEqual(setup.pendingIDs("geo"), [])
    }

    /// Starts `respaldo upload`, kills sshd once the remote `.partial` holds 16 MiB, and
    /// returns the size seen then. With `restartAfter`, sshd comes back after that many seconds
    /// and the upload is expected to succeed by itself (asserted here); without, to fail.
    @discardableResult
    private func uploadAndKillServer(_ setup: RemoteSetup, _ artifactName: String, restartAfter: Double? = nil) throws -> Int {
        let partial = setup.remoteJobDir("geo") + "/" + artifactName + ".partial"
        let upload = try setup.ws.startRespaldo("upload", "db", timeout: 120)
        let threshold = 16 << 20
        var seen = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            seen = (try? Files.size(partial)) ?? 0
            if seen >= threshold { break }
            usleep(1_000)
        }
        XCTAssertGreaterThanOrEqual(seen, threshold, "the upload never reached 16 MiB on the remote")
        setup.sshd.stop()
        if let restartAfter {
            usleep(useconds_t(restartAfter * 1e6))
            try setup.sshd.start()
        }
        let r = upload.wait()
        if restartAfter == nil {
            assertExit(r, 1, "an upload whose server died (no retries) must fail")
            XCTAssertTrue(r.stderrText.contains("pending"), "the failure says the snapshot stays pending: \(r.summary)")
        } else {
            assertExit(r, 0, "the retried upload must succeed once the server is back")
            XCTAssertTrue(r.stderrText.contains("retry 1 of 4"), "the retry is logged: \(r.summary)")
            XCTAssertTrue(r.stderrText.contains("resumed at"), "the retry resumes the .partial: \(r.summary)")
            let local = try setup.ws.artifactPath("db", String(artifactName.prefix { $0 != "." }))
            XCTAssertEqual(try Files.sha256(setup.remoteJobDir("geo") + "/" + artifactName), try Files.sha256(local), "the resumed copy must be byte-identical")
            print("retry: \(r.stderrText.split(separator: "\n").filter { $0.contains("retry") || $0.contains("upload") }.joined(separator: " | "))")
        }
        return seen
    }
}
