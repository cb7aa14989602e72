import Foundation
@testable import Storage
import TestFixtures
import XCTest

/// The SigV4 signer against botocore's (S3SigV4Auth), on fixed requests, keys and time: the
/// vectors are made at test time by botocore itself (scripts/install-deps.sh installs it).
/// SeaweedFS checks signatures too, but a signer and a server can share a mistake; botocore
/// is what AWS ships.
final class S3SigV4Tests: XCTestCase {
    /// 2026-11-21T07:00:00Z
    static let date = Date(timeIntervalSince1970: 1_795_244_400)

    struct Vector {
        var label: String
        var target: S3Target
        var credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        var region = "eu-central-1"
        var method: String
        var key: String?
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: [UInt8] = []
    }

    static func target(_ endpoint: String, url: String = "s3://respaldo-backups/prod", virtual: Bool = false) -> S3Target {
        try! S3Target(options: S3Store.Options(
            name: "t", url: url, endpoint: endpoint, region: "eu-central-1",
            credentials: S3Credentials(accessKeyID: "a", secretAccessKey: "b"), virtualHostedStyle: virtual))
    }

    static var vectors: [Vector] {
        let aws = target("https://s3.eu-central-1.amazonaws.com")
        let local = target("http://127.0.0.1:8333", url: "s3://plain")
        let lockBody = Array("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>COMPLIANCE</Mode><RetainUntilDate>2026-12-26T07:00:00Z</RetainUntilDate></Retention>".utf8)
        return [
            Vector(label: "GET object", target: aws, method: "GET", key: "prod/crm/crm-20261121T070000Z.sql.gz.age"),
            Vector(label: "GET range", target: local, method: "GET", key: "crm/a.bin", headers: [("range", "bytes=1048576-")]),
            Vector(label: "PUT with lock", target: aws, method: "PUT", key: "prod/crm/crm-20261121T070000Z.manifest.json",
                   headers: [("content-type", "application/octet-stream"), ("if-none-match", "*"),
                             ("x-amz-object-lock-mode", "COMPLIANCE"), ("x-amz-object-lock-retain-until-date", "2026-12-26T07:00:00Z"),
                             ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
                   body: Array("{\"format\":\"respaldo-manifest/2\"}\n".utf8)),
            Vector(label: "odd key", target: local, method: "PUT", key: "job/with space, \"quote\" +plus=eq&amp~tilde/año(1)*!'.bin",
                   body: [0, 1, 2, 255]),
            Vector(label: "create multipart upload", target: aws, method: "POST", key: "prod/big.bin", query: [("uploads", "")],
                   headers: [("content-type", "application/octet-stream")]),
            Vector(label: "upload part", target: local, method: "PUT", key: "big.bin",
                   query: [("uploadId", "2~abc/def+ghi=jkl_0123"), ("partNumber", "17")], body: Array(repeating: 7, count: 70_000)),
            Vector(label: "list objects", target: aws, method: "GET",
                   query: [("list-type", "2"), ("prefix", "prod/crm/"), ("delimiter", "/"), ("encoding-type", "url"),
                           ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")]),
            Vector(label: "list versions", target: local, method: "GET",
                   query: [("versions", ""), ("prefix", "crm/m.json"), ("key-marker", "crm/a b"), ("version-id-marker", "null")]),
            Vector(label: "delete version", target: local, method: "DELETE", key: "crm/m.json", query: [("versionId", "6712c07c67dae3e2cf070bd9761f15b2")]),
            Vector(label: "put retention", target: aws, method: "PUT", key: "prod/x", query: [("retention", "")],
                   headers: [("content-type", "application/xml"), ("content-md5", "abcdefghijklmnopqrstuv==")], body: lockBody),
            Vector(label: "virtual-hosted", target: target("https://s3.eu-central-1.amazonaws.com", virtual: true), method: "HEAD", key: "prod/x"),
            Vector(label: "session token", target: aws,
                   credentials: S3Credentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "FQoGZXIvYXdzE//token+/=="),
                   method: "GET", key: "prod/x"),
            Vector(label: "folded header value", target: local, region: "us-east-1", method: "PUT", key: "x",
                   headers: [("x-amz-meta-note", "  two   spaces\tand tab  ")], body: [1]),
            Vector(label: "IPv6 loopback, bucket root", target: target("http://[::1]:9000", url: "s3://plain"), method: "GET",
                   query: [("object-lock", "")]),
        ]
    }

    /// Signs each vector here and with botocore; the Authorization headers must be equal.
    func testSignaturesMatchBotocore() throws {
        var cases: [[String: Any]] = []
        var ours: [String] = []
        for vector in Self.vectors {
            let signer = SigV4(credentials: vector.credentials, region: vector.region)
            var request = S3Request(method: vector.method, path: vector.target.path(key: vector.key), query: vector.query)
            request.headers = [("host", vector.target.authority)] + vector.headers
            request.payloadSHA256 = sha256Hex(vector.body)
            signer.sign(&request, at: Self.date)
            ours.append(request.header("authorization") ?? "")
            var headers: [String: String] = [:]
            for (name, value) in request.headers where name != "authorization" { headers[name] = value }
            cases.append([
                "url": vector.target.url(path: request.path, query: request.canonicalQuery), "method": vector.method,
                "headers": headers, "body": vector.body.map { String(format: "%02x", $0) }.joined(),
                "access_key": vector.credentials.accessKeyID, "secret_key": vector.credentials.secretAccessKey,
                "token": vector.credentials.sessionToken ?? "", "region": vector.region,
            ])
        }
        let theirs = try botocoreSignatures(cases)
        XCTAssertEqual(theirs.count, ours.count)
        for (index, vector) in Self.vectors.enumerated() where index < theirs.count {
            XCTAssertEqual(ours[index], theirs[index], vector.label)
        }
    }

    func testEncoding() {
        XCTAssertEqual(S3URIEncoding.encode("a b+c/d~e_f.g-h", keepSlash: true), "a%20b%2Bc/d~e_f.g-h")
        XCTAssertEqual(S3URIEncoding.encode("a/b=", keepSlash: false), "a%2Fb%3D")
        XCTAssertEqual(S3URIEncoding.encode("ñ", keepSlash: false), "%C3%B1")
        XCTAssertEqual(S3URIEncoding.decode("a%20b%2Fc+%C3%B1%2B"), "a b/c ñ+")
        XCTAssertNil(S3URIEncoding.decode("bad%2"))
        XCTAssertNil(S3URIEncoding.decode("bad%zz"))
        XCTAssertNil(S3URIEncoding.decode("%ff%fe"), "not UTF-8")
        var request = S3Request(method: "GET", path: "/", query: [("uploads", ""), ("b", "2"), ("a", "x y"), ("a", "1")])
        request.headers = []
        XCTAssertEqual(request.canonicalQuery, "a=1&a=x%20y&b=2&uploads=")
    }

    // MARK: - botocore

    private func botocoreSignatures(_ cases: [[String: Any]]) throws -> [String] {
        let script = """
            import datetime, json, sys
            from unittest import mock
            import botocore.auth
            from botocore.auth import S3SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            fixed = datetime.datetime(2026, 11, 21, 7, 0, 0)
            out = []
            for c in json.load(sys.stdin):
                request = AWSRequest(method=c["method"], url=c["url"], headers=c["headers"], data=bytes.fromhex(c["body"]))
                credentials = Credentials(c["access_key"], c["secret_key"], c["token"] or None)
                if hasattr(botocore.auth, "get_current_datetime"):
                    patch = mock.patch("botocore.auth.get_current_datetime", return_value=fixed)
                else:
                    patch = mock.patch("botocore.auth.datetime")
                with patch as clock:
                    if not hasattr(botocore.auth, "get_current_datetime"):
                        clock.datetime.utcnow.return_value = fixed
                        clock.datetime.strptime = datetime.datetime.strptime
                    S3SigV4Auth(credentials, "s3", c["region"]).add_auth(request)
                out.append(request.headers["Authorization"])
            print(json.dumps(out))
            """
        let input = try JSONSerialization.data(withJSONObject: cases)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("botocore signing failed (install it: scripts/install-deps.sh): \(String(decoding: errors, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: output) as? [String] ?? []
    }

    private func sha256Hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { S3Connection.Body($0).sha256 }
    }
}
