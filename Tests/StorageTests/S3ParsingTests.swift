import Foundation
@testable import Storage
import XCTest

/// What the S3 store reads from files and peers, without a server: XML responses (hostile
/// ones included), credentials files, options, timestamps.
final class S3ParsingTests: XCTestCase {
    // MARK: - XML

    static let listing = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- a comment -->
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>\
        <Contents><Key>job/a&amp;b &lt;c&gt; &#233;&#x4e2d;</Key><Size>42</Size><ETag>&quot;abc&quot;</ETag></Contents>\
        <Contents><s3:Key><![CDATA[job/<raw>]]></s3:Key><Size>0</Size></Contents>\
        <IsTruncated>false</IsTruncated><Empty/><Attr a="1" b='x>y'>v</Attr></ListBucketResult>
        """

    func testXMLReadsWhatS3Sends() throws {
        let root = try XMLDocument.parse(Array(Self.listing.utf8))
        XCTAssertEqual(root.name, "ListBucketResult")
        let contents = root.children("Contents")
        XCTAssertEqual(contents.count, 2)
        XCTAssertEqual(contents[0].value("Key"), "job/a&b <c> é中")
        XCTAssertEqual(contents[0].value("Size"), "42")
        XCTAssertEqual(contents[0].value("ETag"), "\"abc\"")
        XCTAssertEqual(contents[1].value("Key"), "job/<raw>", "CDATA, namespace prefix dropped")
        XCTAssertEqual(root.value("IsTruncated"), "false")
        XCTAssertEqual(root.value("Empty"), "")
        XCTAssertEqual(root.value("Attr"), "v")
    }

    func testXMLRefusesHostileDocuments() {
        let refused = [
            "", "   ", "<a>", "<a></b>", "<a><b></a></b>", "text<a/>", "<a/><b/>", "<a/>trailing", "<a>&unknown;</a>",
            "<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&#99999999999;</a>", "<a>&amp</a>", "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a b=c/>", "<a b=\"c/>", "<a><![CDATA[x</a>", "<a><!-- x</a>", "<?xml ", "</a>", "<>", "< a/>", "<a\"/>",
        ]
        for text in refused {
            XCTAssertThrowsError(try XMLDocument.parse(Array(text.utf8)), text.debugDescription)
        }
        let deep = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
        XCTAssertThrowsError(try XMLDocument.parse(Array(deep.utf8))) { XCTAssertEqual($0 as? XMLError, .tooDeep(limit: 32)) }
        let many = "<a>" + String(repeating: "<b/>", count: 200_001) + "</a>"
        XCTAssertThrowsError(try XMLDocument.parse(Array(many.utf8))) { XCTAssertEqual($0 as? XMLError, .tooManyElements(limit: 200_000)) }
    }

    /// Every prefix of a valid document, and random damage to it: an error or a tree, never a trap.
    func testXMLNeverTrapsOnTruncatedOrDamagedInput() {
        let bytes = Array(Self.listing.utf8)
        for end in 0..<bytes.count {
            _ = try? XMLDocument.parse(Array(bytes[0..<end]))
        }
        var generator = SystemRandomNumberGenerator()
        let specials = Array("<>&;/!?[]\"'=#x: \n".utf8) + [0, 0xff, 0xc3]
        for _ in 0..<3000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let index = Int.random(in: 0..<damaged.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: damaged[index] = specials.randomElement(using: &generator)!
                case 1: damaged.remove(at: index)
                default: damaged.insert(specials.randomElement(using: &generator)!, at: index)
                }
            }
            _ = try? XMLDocument.parse(damaged)
        }
    }

    // MARK: - Credentials files

    func testCredentialsFile() throws {
        let text = """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key=secretdefault

            [profile backup]\r
            ; another comment\r
              aws_access_key_id   =   AKIDBACKUP  \r
            aws_secret_access_key = se/cr+et=\r
            aws_session_token = token==\r
            region = eu-central-1\r
            """
        XCTAssertEqual(try S3Credentials.parse(text, profile: "default"), S3Credentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "secretdefault"))
        XCTAssertEqual(try S3Credentials.parse(text, profile: "backup"),
                       S3Credentials(accessKeyID: "AKIDBACKUP", secretAccessKey: "se/cr+et=", sessionToken: "token=="))
        XCTAssertThrowsError(try S3Credentials.parse(text, profile: "nope")) { XCTAssertEqual($0 as? S3CredentialsError, .missingProfile("nope")) }
        XCTAssertThrowsError(try S3Credentials.parse("[a]\naws_access_key_id = x\n", profile: "a")) {
            XCTAssertEqual($0 as? S3CredentialsError, .missingKey(profile: "a", key: "aws_secret_access_key"))
        }
        XCTAssertThrowsError(try S3Credentials.parse("[a]\njust words\n", profile: "a")) { XCTAssertEqual($0 as? S3CredentialsError, .malformedLine(2)) }
        XCTAssertThrowsError(try S3Credentials.parse("[a\n", profile: "a")) { XCTAssertEqual($0 as? S3CredentialsError, .malformedLine(1)) }
        XCTAssertThrowsError(try S3Credentials.parse("[a]\naws_access_key_id = x\u{1}y\naws_secret_access_key = s\n", profile: "a"))
        let credentials = try S3Credentials.parse(text, profile: "backup")
        XCTAssertFalse("\(credentials)".contains("se/cr"), "the secret never shows")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try S3Credentials.load(file: path, profile: "backup").accessKeyID, "AKIDBACKUP")
        XCTAssertThrowsError(try S3Credentials.load(file: path + "-missing")) { error in
            guard case .unreadable? = error as? S3CredentialsError else { return XCTFail("\(error)") }
        }
    }

    // MARK: - Options

    private func options(_ endpoint: String, url: String = "s3://bucket/prefix", virtual: Bool = false) -> S3Store.Options {
        S3Store.Options(
            name: "vault", url: url, endpoint: endpoint, region: "eu-central-1",
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), virtualHostedStyle: virtual)
    }

    func testPlainHTTPOnlyForLoopback() throws {
        for endpoint in ["http://127.0.0.1:8333", "http://127.3.2.1", "http://localhost:9000/", "http://[::1]:9000"] {
            XCTAssertNoThrow(try S3Store(options: options(endpoint)), endpoint)
        }
        for endpoint in ["http://example.com", "http://10.0.0.1:9000", "http://127.0.0.1.example.com", "http://[::2]:80", "ftp://x"] {
            XCTAssertThrowsError(try S3Store(options: options(endpoint)), endpoint) { error in
                guard case .configuration? = error as? StorageError else { return XCTFail("\(error)") }
            }
        }
    }

    func testTargets() throws {
        let path = try S3Target(options: options("https://s3.example.com"))
        XCTAssertEqual(path.authority, "s3.example.com")
        XCTAssertEqual(path.prefix, "prefix/")
        XCTAssertEqual(path.path(key: path.key("job/a b.gz")), "/bucket/prefix/job/a%20b.gz")
        XCTAssertEqual(path.path(key: nil), "/bucket")
        let virtual = try S3Target(options: options("https://s3.example.com:8443", url: "s3://bucket", virtual: true))
        XCTAssertEqual(virtual.authority, "bucket.s3.example.com:8443")
        XCTAssertEqual(virtual.path(key: "x"), "/x")
        XCTAssertEqual(virtual.path(key: nil), "/")
        XCTAssertEqual(try S3Target(options: options("https://h", url: "s3://bucket//a//b/")).prefix, "a/b/")
        for (endpoint, url, isVirtual) in [
            ("https://h/path", "s3://bucket", false), ("https://user@h", "s3://bucket", false), ("https://h:0", "s3://bucket", false),
            ("https://h", "s3://Bucket", false), ("https://h", "s3://b", false), ("https://h", "s3://bucket/../x", false),
            ("https://h", "https://bucket", false), ("https://h", "s3://my.bucket", true), ("https://h?x", "s3://bucket", false),
        ] {
            XCTAssertThrowsError(try S3Target(options: options(endpoint, url: url, virtual: isVirtual)), "\(endpoint) \(url)")
        }
        var small = options("https://h")
        small.partSize = 1 << 20
        XCTAssertThrowsError(try S3Target(options: small))
        var region = options("https://h")
        region.region = "eu central"
        XCTAssertThrowsError(try S3Target(options: region))
    }

    // MARK: - Timestamps

    func testTimestamps() {
        let date = Date(timeIntervalSince1970: 1_795_244_400)
        XCTAssertEqual(ISO8601UTC.format(date), "2026-11-21T07:00:00Z")
        XCTAssertEqual(ISO8601UTC.compact(date), "20261121T070000Z")
        XCTAssertEqual(ISO8601UTC.parse("2026-11-21T07:00:00Z"), date)
        XCTAssertEqual(ISO8601UTC.parse("2026-11-21T07:00:00.500Z"), date.addingTimeInterval(0.5))
        XCTAssertEqual(ISO8601UTC.parse("2026-11-21T07:00:00+00:00"), date)
        for bad in ["", "2026-11-21", "2026-11-21T07:00:00", "2026-11-21T07:00:00+01:00", "2026-13-21T07:00:00Z",
                    "2026-11-21T25:00:00Z", "2026-11-21T07:00:00.Z", "２０２６-11-21T07:00:00Z", "2026-11-21T07:00:00Zjunk"] {
            XCTAssertNil(ISO8601UTC.parse(bad), bad)
        }
    }
}
