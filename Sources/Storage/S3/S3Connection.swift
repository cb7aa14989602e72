import CryptoPrimitives
import Curl
import struct Foundation.Date

/// One HTTP exchange with the S3 endpoint: signs the request, runs it on the store's libcurl
/// handle, and returns the status, header fields and (bounded) body. It knows nothing of
/// objects or uploads; `S3Store` gives the requests meaning. Not thread-safe: the store holds
/// its lock around every use.
final class S3Connection {
    struct Response {
        var status: Int
        var headers: [String: String]
        /// The body, unless a download writer took it (2xx responses with a writer).
        var body: [UInt8]

        var isSuccess: Bool { (200..<300).contains(status) }
    }

    /// A request body in memory (a part buffer, an XML document), with its digests.
    struct Body {
        var bytes: UnsafeRawBufferPointer
        var sha256: String
        /// base64 MD5 for `Content-MD5` (S3 requires it with Object Lock).
        var md5: String

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
            let hasher = SHA256()
            hasher.update(bytes)
            sha256 = Hex.encode(hasher.finalize())
            md5 = MD5.hash(bytes).withUnsafeBytes(base64Encode)
        }
    }

    let location: String
    let target: S3Target
    let options: S3Store.Options
    let signer: SigV4
    let cancelFlag: CancelFlag
    let now: @Sendable () -> Date
    private var easy: CurlEasy?
    private var needsFreshConnection = false

    /// Largest response body read into memory (listings, errors, XML results).
    static let maxBodyBytes = 16 << 20
    /// Bytes per download read and upload write.
    static let downloadBufferSize = 512 << 10
    static let uploadBufferSize = 1 << 20

    init(location: String, target: S3Target, options: S3Store.Options, cancelFlag: CancelFlag, now: @escaping @Sendable () -> Date) {
        self.location = location
        self.target = target
        self.options = options
        signer = SigV4(credentials: options.credentials, region: options.region)
        self.cancelFlag = cancelFlag
        self.now = now
    }

    /// Sends one request. `key` nil addresses the bucket. The body, if any, is uploaded with
    /// its SHA-256 signed and its MD5 in Content-MD5. With `download`, a 2xx response's body
    /// goes to it as it arrives; otherwise bodies are kept up to `maxBodyBytes`.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: Body? = nil, operation: String, name: String, honoursCancel: Bool = true,
        download: ((_ piece: UnsafeRawBufferPointer, _ status: Int) throws -> Void)? = nil
    ) throws -> Response {
        var request = S3Request(method: method, path: target.path(key: key), query: query.map { ($0.0, $0.1) })
        request.headers = [("host", target.authority)] + headers.map { ($0.0.lowercased(), $0.1) }
        if let body {
            request.payloadSHA256 = body.sha256
            request.headers.append(("content-md5", body.md5))
        }
        signer.sign(&request, at: now())
        let url = target.url(path: request.path, query: request.canonicalQuery)

        let easy = try handle()
        let transfer = CurlTransfer(cancel: honoursCancel ? cancelFlag : nil)
        transfer.recordsHeaders = true
        var collected: [UInt8] = []
        var sent = 0
        defer {
            transfer.reader = nil
            transfer.writer = nil
            transfer.seeker = nil
        }
        transfer.writer = { [location] piece in
            if let download, let status = transfer.responseStatus, (200..<300).contains(status) {
                try download(piece, status)
                return
            }
            guard collected.count + piece.count <= Self.maxBodyBytes else {
                throw StorageError.tooLarge(location: location, name: name.isEmpty ? "response" : name, limit: Self.maxBodyBytes)
            }
            collected.append(contentsOf: piece)
        }
        do {
            try easy.reset()
            try easy.set([
                .url(url),
                .protocols(target.scheme),
                .noSignal(true),
                .connectTimeout(seconds: options.connectTimeout),
                .lowSpeedLimit(bytesPerSecond: options.lowSpeedLimit),
                .lowSpeedTime(seconds: options.lowSpeedTime),
                .tcpKeepAlive(true),
                .bufferSize(Self.downloadBufferSize),
                // No `Expect: 100-continue` round trip; curl's own Accept is not signed.
                .httpHeaders(request.headers.map { "\($0.name): \($0.value)" } + ["Expect:", "User-Agent: respaldo"]),
            ])
            if let caFile = options.caFile { try easy.set(.caFile(caFile)) }
            if needsFreshConnection { try easy.set(.freshConnect(true)) }
            if download == nil && (body?.bytes.count ?? 0) < Self.uploadBufferSize {
                // Metadata requests are not covered by the low-speed check alone: bound them.
                try easy.set(.timeout(seconds: options.connectTimeout + options.lowSpeedTime))
            }
            switch method {
            case "HEAD": try easy.set(.noBody(true))
            case "GET": break
            default:
                if let body {
                    try easy.set([.upload(true), .uploadSize(Int64(body.bytes.count)), .uploadBufferSize(Self.uploadBufferSize)])
                    if let limit = options.bandwidthLimit { try easy.set(.maxSendSpeed(limit)) }
                    transfer.reader = { buffer in
                        let count = min(buffer.count, body.bytes.count - sent)
                        if count > 0 {
                            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: body.bytes[sent..<(sent + count)]))
                        }
                        sent += count
                        return count
                    }
                    transfer.seeker = { offset in
                        guard offset >= 0, offset <= Int64(body.bytes.count) else { return false }
                        sent = Int(offset)
                        return true
                    }
                }
                if method != "PUT" || body == nil { try easy.set(.customRequest(method)) }
            }
            try easy.perform(transfer)
            needsFreshConnection = false
        } catch let error as CurlError {
            if [7, 18, 28, 42, 52, 55, 56].contains(error.number) { needsFreshConnection = true }
            throw storageError(error, operation: operation, name: name, transfer: transfer)
        } catch {
            needsFreshConnection = true  // a callback aborted mid-transfer
            if honoursCancel, cancelFlag.isSet { throw StorageError.cancelled(location: location) }
            throw error
        }
        guard let status = easy.responseCode ?? transfer.responseStatus else {
            throw StorageError.remote(location: location, operation: operation, name: name, code: 0, message: "no HTTP status")
        }
        return Response(status: status, headers: transfer.responseHeaders, body: collected)
    }

    /// The StorageError for a failed response (status not 2xx, or an `<Error>` body).
    func error(_ response: Response, operation: String, name: String) -> StorageError {
        var code = ""
        var message = ""
        if !response.body.isEmpty, let root = try? XMLDocument.parse(response.body), root.name == "Error" {
            code = String((root.value("Code") ?? "").prefix(100))
            message = String((root.value("Message") ?? "").prefix(300))
        }
        switch (response.status, code) {
        case (_, "SignatureDoesNotMatch"), (_, "InvalidAccessKeyId"), (_, "InvalidToken"), (_, "ExpiredToken"),
             (_, "TokenRefreshRequired"), (_, "AuthorizationHeaderMalformed"), (_, "InvalidSecurity"):
            return .credentials(location: location, host: target.authority, code: code, message: message)
        case (_, "NoSuchBucket"):
            return .configuration(location: location, detail: "bucket \(target.bucket) does not exist at \(target.authority)")
        case (404, _) where code.isEmpty || code == "NoSuchKey" || code == "NotFound":
            return .notFound(location: location, name: name)
        case (403, _) where code == "AccessDenied" || code.isEmpty:
            return .permissionDenied(location: location, name: name, detail: code.isEmpty ? "HTTP 403" : "\(code)\(message.isEmpty ? "" : ": " + message)")
        default:
            return .http(location: location, operation: operation, name: name, status: response.status, code: code, message: message)
        }
    }

    // MARK: - Helpers

    private func handle() throws -> CurlEasy {
        if let easy { return easy }
        do {
            let created = try CurlEasy()
            easy = created
            return created
        } catch {
            throw StorageError.remote(location: location, operation: "init", name: "", code: error.number, message: error.message)
        }
    }

    private func storageError(_ error: CurlError, operation: String, name: String, transfer: CurlTransfer) -> StorageError {
        switch error.number {
        case CurlCode.abortedByCallback.rawValue where transfer.isCancelled:
            return .cancelled(location: location)
        case CurlCode.peerFailedVerification.rawValue, 51, 58, 83, 90, 91:  // certificate, cert file, issuer, pinned key, status
            return .certificate(location: location, host: target.authority, detail: error.message)
        case 77:  // CURLE_SSL_CACERT_BADFILE
            return .configuration(location: location, detail: "cannot use the CA file \(options.caFile ?? "(system)"): \(error.message)")
        default:
            return .remote(location: location, operation: operation, name: name, code: error.number, message: error.message)
        }
    }
}
