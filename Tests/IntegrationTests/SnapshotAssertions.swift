import Foundation
import XCTest

/// What a test knows about a snapshot it just made, checked against the manifest, the files
/// and `list --json`.
struct ExpectedSnapshot {
    var job: String
    var id: String
    var kind: String
    /// The source's argv as the manifest must record it (nil: not checked).
    var argv: [String]?
    /// The original dump bytes (nil when the test has no copy of them, e.g. pg_dump output).
    var plainPath: String?
    var recipients: [String]?
    var level: Int?
    var artifactExtension: String { ["postgres": "sql", "mysql": "sql", "files": "tar"][kind] ?? "dump" }
}

func jsonInt(_ any: Any?) -> Int? {
    switch any {
    case let n as NSNumber: return n.intValue
    case let i as Int: return i
    default: return nil
    }
}

func jsonString(_ any: Any?) -> String? { any as? String }

func isJSONNullOrAbsent(_ any: Any?) -> Bool { any == nil || any is NSNull }

let rfc3339UTC = #"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"#

func parseRFC3339(_ s: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: s) { return d }
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: s)
}

/// The UTC time in a snapshot id (`<job>-YYYYMMDDTHHMMSSZ`).
func snapshotTime(_ id: String) -> Date? {
    guard let r = id.range(of: #"[0-9]{8}T[0-9]{6}Z$"#, options: .regularExpression) else { return nil }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return f.date(from: String(id[r]))
}

/// Checks the artifact name, the manifest's every field, the files' modes and `list --json`.
func assertSnapshot(_ ws: Workspace, _ e: ExpectedSnapshot, file: StaticString = #filePath, line: UInt = #line) throws {
    let encrypted = e.recipients != nil
    let artifact = try ws.artifactPath(e.job, e.id)
    let artifactName = (artifact as NSString).lastPathComponent
    XCTAssertEqual(artifactName, "\(e.id).\(e.artifactExtension).gz" + (encrypted ? ".age" : ""), "artifact name", file: file, line: line)

    let m = try ws.manifest(e.job, e.id)
    let ctx = "manifest \(ws.manifestPath(e.job, e.id)): \(m)"
    XCTAssertEqual(jsonString(m["format"]), "respaldo-manifest/2", ctx, file: file, line: line)
    XCTAssertGreaterThanOrEqual(jsonInt(m["sequence"]) ?? 0, 1, "sequence: \(ctx)", file: file, line: line)
    XCTAssertEqual(jsonString(m["id"]), e.id, ctx, file: file, line: line)
    XCTAssertEqual(jsonString(m["job"]), e.job, ctx, file: file, line: line)
    XCTAssertFalse((jsonString(m["host"]) ?? "").isEmpty, "host: \(ctx)", file: file, line: line)
    XCTAssertFalse((jsonString(m["respaldo_version"]) ?? "").isEmpty, "respaldo_version: \(ctx)", file: file, line: line)

    let source = m["source"] as? [String: Any]
    XCTAssertEqual(jsonString(source?["kind"]), e.kind, "source.kind: \(ctx)", file: file, line: line)
    let argv = source?["argv"] as? [String]
    XCTAssertNotNil(argv, "source.argv must be an array of strings: \(ctx)", file: file, line: line)
    if let expected = e.argv { XCTAssertEqual(argv, expected, "source.argv", file: file, line: line) }

    let started = jsonString(m["started_at"]) ?? ""
    let finished = jsonString(m["finished_at"]) ?? ""
    XCTAssertTrue(matches(started, rfc3339UTC), "started_at \(started) is not RFC 3339 UTC", file: file, line: line)
    XCTAssertTrue(matches(finished, rfc3339UTC), "finished_at \(finished) is not RFC 3339 UTC", file: file, line: line)
    if let s = parseRFC3339(started), let f = parseRFC3339(finished) {
        XCTAssertLessThanOrEqual(s, f, "started_at after finished_at", file: file, line: line)
        XCTAssertLessThan(abs(s.timeIntervalSinceNow), 3600, "started_at is not now: \(started)", file: file, line: line)
        if let t = snapshotTime(e.id) {
            XCTAssertTrue(t >= s.addingTimeInterval(-2) && t <= f.addingTimeInterval(2),
                          "the id's time \(e.id) is not within started_at..finished_at (\(started)..\(finished))", file: file, line: line)
        }
    }

    let plain = m["plain"] as? [String: Any]
    let plainBytes = jsonInt(plain?["bytes"])
    let plainSHA = jsonString(plain?["sha256"])?.lowercased()
    XCTAssertNotNil(plainBytes, "plain.bytes: \(ctx)", file: file, line: line)
    XCTAssertTrue(matches(plainSHA ?? "", "^[0-9a-f]{64}$"), "plain.sha256 is not hex SHA-256: \(ctx)", file: file, line: line)
    if let p = e.plainPath {
        XCTAssertEqual(plainBytes, try Files.size(p), "plain.bytes is not the dump's size", file: file, line: line)
        XCTAssertEqual(plainSHA, try Files.sha256(p), "plain.sha256 is not the dump's SHA-256", file: file, line: line)
    }

    let a = m["artifact"] as? [String: Any]
    XCTAssertEqual(jsonString(a?["name"]).map { ($0 as NSString).lastPathComponent }, artifactName, "artifact.name: \(ctx)", file: file, line: line)
    XCTAssertEqual(jsonInt(a?["bytes"]), try Files.size(artifact), "artifact.bytes is not the file's size", file: file, line: line)
    XCTAssertEqual(jsonString(a?["sha256"])?.lowercased(), try Files.sha256(artifact), "artifact.sha256 is not the file's SHA-256", file: file, line: line)
    XCTAssertEqual(jsonString(a?["compression"]), "gzip", "artifact.compression: \(ctx)", file: file, line: line)
    if let level = e.level { XCTAssertEqual(jsonInt(a?["level"]), level, "artifact.level: \(ctx)", file: file, line: line) }
    let encryption = a?["encryption"]
    if let recipients = e.recipients {
        XCTAssertTrue((jsonString(encryption) ?? "").lowercased().contains("age"), "artifact.encryption should name age: \(ctx)", file: file, line: line)
        // Fingerprints only (DESIGN.md): the recipients themselves are never published.
        let expected = try Set(recipients.map(recipientFingerprint))
        XCTAssertEqual(Set((a?["recipient_fingerprints"] as? [String]) ?? []), expected, "artifact.recipient_fingerprints: \(ctx)", file: file, line: line)
        XCTAssertNil(a?["recipients"], "artifact.recipients must not be published: \(ctx)", file: file, line: line)
    } else {
        let none = isJSONNullOrAbsent(encryption) || ["none", ""].contains(jsonString(encryption) ?? "?")
        XCTAssertTrue(none, "artifact.encryption should be null/\"none\" for an unencrypted artifact: \(ctx)", file: file, line: line)
        let recipients = a?["recipients"]
        XCTAssertTrue(isJSONNullOrAbsent(recipients) || (recipients as? [Any])?.isEmpty == true, "artifact.recipients should be empty: \(ctx)", file: file, line: line)
    }

    // Modes: files 0600, the job directory 0700.
    XCTAssertEqual(try Files.mode(artifact), 0o600, "artifact mode", file: file, line: line)
    XCTAssertEqual(try Files.mode(ws.manifestPath(e.job, e.id)), 0o600, "manifest mode", file: file, line: line)
    XCTAssertEqual(try Files.mode(ws.jobDir(e.job)), 0o700, "job directory mode", file: file, line: line)
    XCTAssertEqual(ws.partialFiles(), [], "no .partial file may remain", file: file, line: line)

    // list --json
    let entries = try ws.listJSON().filter { jsonString($0["id"]) == e.id }
    XCTAssertEqual(entries.count, 1, "list --json should show \(e.id) once", file: file, line: line)
    if let entry = entries.first {
        XCTAssertEqual(jsonString(entry["job"]), e.job, "list: job \(entry)", file: file, line: line)
        XCTAssertEqual(jsonString(entry["finished_at"]), finished, "list: finished_at \(entry)", file: file, line: line)
        XCTAssertEqual(jsonInt(entry["plain_bytes"]), plainBytes, "list: plain_bytes \(entry)", file: file, line: line)
        XCTAssertEqual(jsonInt(entry["artifact_bytes"]), try Files.size(artifact), "list: artifact_bytes \(entry)", file: file, line: line)
        XCTAssertEqual(jsonString(entry["artifact"]).map { ($0 as NSString).lastPathComponent }, artifactName, "list: artifact \(entry)", file: file, line: line)
        XCTAssertEqual((entry["encrypted"] as? NSNumber)?.boolValue ?? (entry["encrypted"] as? Bool), encrypted, "list: encrypted \(entry)", file: file, line: line)
        XCTAssertTrue(((entry["locations"] as? [String]) ?? []).contains("local"), "list: locations should contain \"local\": \(entry)", file: file, line: line)
    }
}

/// Writes `randomBytes` of /dev/urandom followed by `lines` numbered text lines.
func makeSampleFile(_ path: String, randomBytes: Int = 300_000, lines: Int = 100_000) throws {
    try Subprocess.checked(["bash", "-c", "set -e; head -c \(randomBytes) /dev/urandom > \"$1\"; seq -f 'line %g of the sample dump' 1 \(lines) >> \"$1\"", "_", path])
}

/// Asserts that two files have the same bytes.
func assertSameBytes(_ a: String, _ b: String, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(try Files.size(a), try Files.size(b), "sizes differ: \(a) vs \(b) \(message)", file: file, line: line)
    XCTAssertEqual(try Files.sha256(a), try Files.sha256(b), "contents differ: \(a) vs \(b) \(message)", file: file, line: line)
}

/// 1-based line number of the `occurrence`-th line of `text` containing `needle`.
func lineNumber(of needle: String, in text: String, occurrence: Int = 1) -> Int {
    var seen = 0
    for (i, l) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where l.contains(needle) {
        seen += 1
        if seen == occurrence { return i + 1 }
    }
    preconditionFailure("\(needle) not in config text")
}

/// `SHA256:` and the unpadded base64 of the SHA-256 of an `age1…` string, by stock openssl.
func recipientFingerprint(_ recipient: String) throws -> String {
    let r = try Subprocess.checked(["bash", "-c", "printf %s \"$1\" | openssl dgst -sha256 -binary | base64 | tr -d '='", "_", recipient])
    return "SHA256:" + r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
}
