import CCurl

/// A libcurl result code (CURLE_*), as a Swift value so that callers need not import CCurl.
public struct CurlCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    init(_ code: CURLcode) { rawValue = Int(code.rawValue) }

    public static let ok = CurlCode(CURLE_OK)
    public static let failedInit = CurlCode(CURLE_FAILED_INIT)
    public static let couldNotConnect = CurlCode(CURLE_COULDNT_CONNECT)
    public static let remoteAccessDenied = CurlCode(CURLE_REMOTE_ACCESS_DENIED)
    public static let quoteError = CurlCode(CURLE_QUOTE_ERROR)
    public static let httpReturnedError = CurlCode(CURLE_HTTP_RETURNED_ERROR)
    public static let outOfMemory = CurlCode(CURLE_OUT_OF_MEMORY)
    public static let operationTimedOut = CurlCode(CURLE_OPERATION_TIMEDOUT)
    public static let abortedByCallback = CurlCode(CURLE_ABORTED_BY_CALLBACK)
    public static let peerFailedVerification = CurlCode(CURLE_PEER_FAILED_VERIFICATION)
    public static let useSSLFailed = CurlCode(CURLE_USE_SSL_FAILED)
    public static let loginDenied = CurlCode(CURLE_LOGIN_DENIED)
    public static let remoteFileNotFound = CurlCode(CURLE_REMOTE_FILE_NOT_FOUND)

    /// libcurl's text for the code (`curl_easy_strerror`).
    public var description: String {
        String(cString: curl_easy_strerror(CURLcode(rawValue: UInt32(truncatingIfNeeded: rawValue))))
    }
}

/// A failed libcurl call: the code and the most specific message libcurl gave.
public struct CurlError: Error, CustomStringConvertible {
    public var code: CurlCode
    public var message: String

    public init(code: CurlCode, message: String) {
        self.code = code
        self.message = message
    }

    /// The CURLE_* number, as `curl` prints it.
    public var number: Int { code.rawValue }

    public var description: String { "\(message) (curl error \(number))" }
}
