import Foundation
import XCTest

/// Scenario 11: a `files` job is a tar stream of its paths; restore + `tar -x` gives the
/// same files back.
final class FilesSourceTests: XCTestCase {
    func testFilesBackupRestoresWithTar() throws {
        try Tools.require("tar", package: "tar")
        let ws = try Workspace.make(for: self, "files")
        let data1 = ws.path("data/site")
        let data2 = ws.path("data/etc-like")
        try Subprocess.checked(["bash", "-c", """
            set -e
            mkdir -p "$1/a/b/c" "$1/empty-dir" "$2/conf.d"
            echo MARKER-1 > "$1/MARKER-respaldo-it-1"
            echo MARKER-2 > "$2/MARKER-respaldo-it-2"
            head -c 200000 /dev/urandom > "$1/a/random.bin"
            seq 1 50000 > "$1/a/b/numbers.txt"
            : > "$1/a/b/c/empty.txt"
            printf 'name with spaces\\n' > "$1/a/file with spaces.txt"
            printf 'ünïcødé\\n' > "$1/a/b/ünïcødé.txt"
            ln -s b/numbers.txt "$1/a/link-to-numbers"
            chmod 0640 "$1/a/b/numbers.txt"
            printf 'key = value\\n' > "$2/conf.d/app.conf"
            """, "_", data1, data2])

        try ws.writeConfig("""
        [[jobs]]
        name = "site"
        source = "files"
        paths = \(toml([data1, data2]))

        """)
        let id = try ws.backup("site")
        try assertSnapshot(ws, ExpectedSnapshot(job: "site", id: id, kind: "files", argv: nil, plainPath: nil, recipients: nil, level: 6))

        let tarFile = ws.path("restored.tar")
        assertExit(try ws.respaldo("restore", id, "--output", tarFile), 0, "restore")
        XCTAssertEqual(try Files.sha256(tarFile), (try ws.manifest("site", id)["plain"] as? [String: Any])?["sha256"] as? String, "the restored tar is the manifest's plain stream")
        let fromGunzip = ws.path("gunzipped.tar")
        try Subprocess.checked(["bash", "-c", "gunzip -c \"$1\" > \"$2\"", "_", try ws.artifactPath("site", id), fromGunzip])
        try assertSameBytes(fromGunzip, tarFile, "gunzip -c of the artifact vs restore")

        let extract = ws.path("extract")
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        let untar = try Subprocess.run(["tar", "-xpf", tarFile, "-C", extract])
        assertExit(untar, 0, "tar -x of the restored archive")

        for (n, original) in [(1, data1), (2, data2)] {
            // Wherever the tar put the tree (absolute paths are stored relative), find it by its marker.
            guard let marker = Files.tree(extract).first(where: { $0.hasSuffix("MARKER-respaldo-it-\(n)") }) else {
                XCTFail("path \(original) is missing from the archive; it holds: \(Files.tree(extract))")
                continue
            }
            let restoredRoot = extract + "/" + (marker as NSString).deletingLastPathComponent
            let diff = try Subprocess.run(["diff", "-r", "--no-dereference", original, restoredRoot])
            assertExit(diff, 0, "the restored tree \(restoredRoot) differs from \(original)")
            XCTAssertEqual(Files.tree(restoredRoot), Files.tree(original), "same entries (including empty directories)")
        }
        let linkTarget = try? FileManager.default.destinationOfSymbolicLink(atPath: extract + "/" + (Files.tree(extract).first { $0.hasSuffix("a/link-to-numbers") } ?? "?"))
        XCTAssertEqual(linkTarget, "b/numbers.txt", "symlinks are archived as symlinks")
    }
}
