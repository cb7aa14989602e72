import CryptoPrimitives
import struct Foundation.Date

/// One S3 request as it is signed and sent: the method, the encoded path, the query, the
/// header fields and the SHA-256 of the body.
struct S3Request {
    var method: String
    /// The absolute path as sent, already percent-encoded (`S3URIEncoding.path`).
    var path: String
    /// Raw (unencoded) query parameters; a valueless one (`uploads`) has the value "".
    var query: [(name: String, value: String)] = []
    /// Header fields to send and sign, names in lowercase (`host` included).
    var headers: [(name: String, value: String)] = []
    /// The hex SHA-256 of the body (that of no bytes for none).
    var payloadSHA256: String = SigV4.emptyPayloadSHA256

    /// The query as sent and as signed: each name and value percent-encoded, sorted by name
    /// then value, `=` after every name (`uploads=`).
    var canonicalQuery: String {
        query.map { (S3URIEncoding.encode($0.name, keepSlash: false), S3URIEncoding.encode($0.value, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// AWS Signature Version 4 in the Authorization header, as S3 expects it (botocore's
/// S3SigV4Auth is the reference the tests compare with): every header field of the request
/// is signed (`host`, `x-amz-*`, `content-md5`, `content-type`), the payload's SHA-256 is
/// signed and sent as `x-amz-content-sha256`, the path is not normalized.
struct SigV4: Sendable {
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    let credentials: S3Credentials
    let region: String
    let service: String

    init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` (with a session
    /// token) and `authorization` to `request`'s headers.
    func sign(_ request: inout S3Request, at date: Date) {
        let stamp = ISO8601UTC.compact(date)
        let day = String(stamp.prefix(8))
        request.headers.removeAll { ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"].contains($0.name) }
        request.headers.append(("x-amz-date", stamp))
        request.headers.append(("x-amz-content-sha256", request.payloadSHA256))
        if let token = credentials.sessionToken { request.headers.append(("x-amz-security-token", token)) }

        let (canonical, signedHeaders) = canonicalRequest(request)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(stamp)\n\(scope)\n\(Hex.encode(SHA256.hash(Array(canonical.utf8))))"
        var key = HMACSHA256.authenticate(key: Array("AWS4\(credentials.secretAccessKey)".utf8), message: Array(day.utf8))
        for part in [region, service, "aws4_request"] {
            key = HMACSHA256.authenticate(key: key, message: Array(part.utf8))
        }
        let signature = Hex.encode(HMACSHA256.authenticate(key: key, message: Array(stringToSign.utf8)))
        request.headers.append((
            "authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
    }

    /// The canonical request and the signed header list.
    func canonicalRequest(_ request: S3Request) -> (String, String) {
        // Values of a repeated name join with ","; whitespace runs fold to one space.
        var fields: [String: [String]] = [:]
        for (name, value) in request.headers {
            let folded = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            fields[name.lowercased(), default: []].append(folded)
        }
        let names = fields.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(fields[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [
            request.method, request.path, request.canonicalQuery, canonicalHeaders, signedHeaders, request.payloadSHA256,
        ].joined(separator: "\n")
        return (canonical, signedHeaders)
    }
}

/// S3's percent-encoding (SigV4's UriEncode): every byte of the UTF-8 form except the
/// unreserved `A-Z a-z 0-9 - _ . ~` becomes `%XX` (uppercase hex); `/` is kept in paths.
enum S3URIEncoding {
    static func encode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `/` + the encoded segments.
    static func path(_ segments: [String]) -> String {
        "/" + segments.map { encode($0, keepSlash: true) }.joined(separator: "/")
    }

    /// Decodes a key of a listing asked with `encoding-type=url`: form encoding, `%XX` and `+`
    /// for a space (a `+` in a key comes as `%2B`; botocore decodes with `unquote_plus` too).
    /// Nil for a malformed escape or bytes that are not UTF-8.
    static func decode(_ text: String) -> String? {
        var out: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                continue
            }
            guard let high = bytes.next().flatMap(hexValue), let low = bytes.next().flatMap(hexValue) else { return nil }
            out.append(high << 4 | low)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
