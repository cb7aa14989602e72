import CCurl

/// The libcurl options respaldo uses, each with its value's Swift type. Setting one is
/// `CurlEasy.set(_:)`; every option is forgotten by `CurlEasy.reset()`.
///
/// There is deliberately no option that turns off TLS certificate or SSH host-key checks.
public enum CurlOption {
    // MARK: Any protocol
    case url(String)
    /// Protocols the URL may use, comma-separated (`"sftp"`, `"http,https"`).
    case protocols(String)
    /// No signals (SIGALRM for DNS timeouts): required in a multi-threaded program.
    case noSignal(Bool)
    /// Seconds for the TCP connect and the TLS or SSH handshake.
    case connectTimeout(seconds: Int)
    /// Seconds for the whole transfer.
    case timeout(seconds: Int)
    /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds fails.
    case lowSpeedLimit(bytesPerSecond: Int)
    case lowSpeedTime(seconds: Int)
    case tcpKeepAlive(Bool)
    /// Opens a new connection instead of reusing a cached one.
    case freshConnect(Bool)
    /// Bytes per download read.
    case bufferSize(Int)
    /// Bytes per upload write (libcurl caps it at 2 MiB).
    case uploadBufferSize(Int)
    /// Uploads from the transfer's reader instead of downloading.
    case upload(Bool)
    /// The upload's size in bytes.
    case uploadSize(Int64)
    /// Download from, or append to, this offset; -1 with an upload: continue at the remote size.
    case resumeFrom(Int64)
    /// No body: only the metadata (a stat for SFTP, a HEAD for HTTP).
    case noBody(Bool)
    case userName(String)
    case password(String)
    /// A PEM file of CA certificates that replaces the system's bundle for TLS checks.
    case caFile(String)
    /// A cap on the upload rate in bytes per second (0: none).
    case maxSendSpeed(Int64)

    // MARK: SFTP
    /// Commands run before the transfer (`rm`, `rename`; `*` before one ignores its failure).
    case quote([String])
    /// Creates missing folders of an upload's path.
    case createMissingDirectories(Bool)
    case newDirectoryPermissions(Int)
    case newFilePermissions(Int)
    /// SSH authentication by public key only.
    case sshPublicKeyAuthOnly
    case sshPrivateKeyFile(String)
    /// "" lets libssh2 derive the public key from the private one.
    case sshPublicKeyFile(String)
    /// The server key's pinned SHA-256 fingerprint (43 base64 characters, no `SHA256:`).
    case sshHostPublicKeySHA256(String)
    /// Accepts the server's host key only if this known_hosts file lists it for the host and
    /// port; a missing entry and a different key are both refused. What the server offered is
    /// recorded in `CurlTransfer.hostKey`.
    case sshKnownHosts(String)

    // MARK: HTTP
    /// A POST with this body (copied by libcurl).
    case postBody([UInt8])
    /// Request header lines (`Content-Type: application/json`).
    case httpHeaders([String])
    case userAgent(String)
    /// The request method instead of the one the transfer implies (`DELETE`, `POST` with an
    /// upload). libcurl sends it as given and changes nothing else.
    case customRequest(String)

    // MARK: SMTP
    /// The envelope sender (`MAIL FROM`).
    case mailFrom(String)
    /// The envelope recipients (`RCPT TO`).
    case mailRecipients([String])
    /// TLS is required (smtp:// then must succeed at STARTTLS or the transfer fails); with it
    /// no credentials ever cross the network in clear text.
    case requireTLS

    var name: String {
        switch self {
        case .url: "CURLOPT_URL"
        case .protocols: "CURLOPT_PROTOCOLS_STR"
        case .noSignal: "CURLOPT_NOSIGNAL"
        case .connectTimeout: "CURLOPT_CONNECTTIMEOUT"
        case .timeout: "CURLOPT_TIMEOUT"
        case .lowSpeedLimit: "CURLOPT_LOW_SPEED_LIMIT"
        case .lowSpeedTime: "CURLOPT_LOW_SPEED_TIME"
        case .tcpKeepAlive: "CURLOPT_TCP_KEEPALIVE"
        case .freshConnect: "CURLOPT_FRESH_CONNECT"
        case .bufferSize: "CURLOPT_BUFFERSIZE"
        case .uploadBufferSize: "CURLOPT_UPLOAD_BUFFERSIZE"
        case .upload: "CURLOPT_UPLOAD"
        case .uploadSize: "CURLOPT_INFILESIZE_LARGE"
        case .resumeFrom: "CURLOPT_RESUME_FROM_LARGE"
        case .noBody: "CURLOPT_NOBODY"
        case .userName: "CURLOPT_USERNAME"
        case .password: "CURLOPT_PASSWORD"
        case .caFile: "CURLOPT_CAINFO"
        case .maxSendSpeed: "CURLOPT_MAX_SEND_SPEED_LARGE"
        case .quote: "CURLOPT_QUOTE"
        case .createMissingDirectories: "CURLOPT_FTP_CREATE_MISSING_DIRS"
        case .newDirectoryPermissions: "CURLOPT_NEW_DIRECTORY_PERMS"
        case .newFilePermissions: "CURLOPT_NEW_FILE_PERMS"
        case .sshPublicKeyAuthOnly: "CURLOPT_SSH_AUTH_TYPES"
        case .sshPrivateKeyFile: "CURLOPT_SSH_PRIVATE_KEYFILE"
        case .sshPublicKeyFile: "CURLOPT_SSH_PUBLIC_KEYFILE"
        case .sshHostPublicKeySHA256: "CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256"
        case .sshKnownHosts: "CURLOPT_SSH_KNOWNHOSTS"
        case .postBody: "CURLOPT_COPYPOSTFIELDS"
        case .httpHeaders: "CURLOPT_HTTPHEADER"
        case .userAgent: "CURLOPT_USERAGENT"
        case .customRequest: "CURLOPT_CUSTOMREQUEST"
        case .mailFrom: "CURLOPT_MAIL_FROM"
        case .mailRecipients: "CURLOPT_MAIL_RCPT"
        case .requireTLS: "CURLOPT_USE_SSL"
        }
    }
}

extension CurlEasy {
    /// Sets one option on the handle; a libcurl refusal throws a CurlError naming the option.
    public func set(_ option: CurlOption) throws(CurlError) {
        let name = option.name
        switch option {
        case let .url(value): try string(CURLOPT_URL, value, name)
        case let .protocols(value): try string(CURLOPT_PROTOCOLS_STR, value, name)
        case let .noSignal(value): try long(CURLOPT_NOSIGNAL, value ? 1 : 0, name)
        case let .connectTimeout(seconds): try long(CURLOPT_CONNECTTIMEOUT, seconds, name)
        case let .timeout(seconds): try long(CURLOPT_TIMEOUT, seconds, name)
        case let .lowSpeedLimit(rate): try long(CURLOPT_LOW_SPEED_LIMIT, rate, name)
        case let .lowSpeedTime(seconds): try long(CURLOPT_LOW_SPEED_TIME, seconds, name)
        case let .tcpKeepAlive(value): try long(CURLOPT_TCP_KEEPALIVE, value ? 1 : 0, name)
        case let .freshConnect(value): try long(CURLOPT_FRESH_CONNECT, value ? 1 : 0, name)
        case let .bufferSize(bytes): try long(CURLOPT_BUFFERSIZE, bytes, name)
        case let .uploadBufferSize(bytes): try long(CURLOPT_UPLOAD_BUFFERSIZE, bytes, name)
        case let .upload(value): try long(CURLOPT_UPLOAD, value ? 1 : 0, name)
        case let .uploadSize(bytes): try offset(CURLOPT_INFILESIZE_LARGE, bytes, name)
        case let .resumeFrom(position): try offset(CURLOPT_RESUME_FROM_LARGE, position, name)
        case let .noBody(value): try long(CURLOPT_NOBODY, value ? 1 : 0, name)
        case let .userName(value): try string(CURLOPT_USERNAME, value, name)
        case let .password(value): try string(CURLOPT_PASSWORD, value, name)
        case let .caFile(path): try string(CURLOPT_CAINFO, path, name)
        case let .maxSendSpeed(rate): try offset(CURLOPT_MAX_SEND_SPEED_LARGE, max(rate, 0), name)
        case let .quote(lines): try list(CURLOPT_QUOTE, lines, name)
        case let .createMissingDirectories(value):
            try long(CURLOPT_FTP_CREATE_MISSING_DIRS, Int((value ? CURLFTP_CREATE_DIR : CURLFTP_CREATE_DIR_NONE).rawValue), name)
        case let .newDirectoryPermissions(mode): try long(CURLOPT_NEW_DIRECTORY_PERMS, mode, name)
        case let .newFilePermissions(mode): try long(CURLOPT_NEW_FILE_PERMS, mode, name)
        case .sshPublicKeyAuthOnly: try long(CURLOPT_SSH_AUTH_TYPES, Int(CURLSSH_AUTH_PUBLICKEY), name)
        case let .sshPrivateKeyFile(path): try string(CURLOPT_SSH_PRIVATE_KEYFILE, path, name)
        case let .sshPublicKeyFile(path): try string(CURLOPT_SSH_PUBLIC_KEYFILE, path, name)
        case let .sshHostPublicKeySHA256(value): try string(CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, value, name)
        case let .sshKnownHosts(path):
            try string(CURLOPT_SSH_KNOWNHOSTS, path, name)
            checksKnownHosts = true  // perform() installs the callback with its transfer
        case let .postBody(bytes):
            // The size first: COPYPOSTFIELDS copies that many bytes (NULs included).
            try offset(CURLOPT_POSTFIELDSIZE_LARGE, Int64(bytes.count), "CURLOPT_POSTFIELDSIZE_LARGE")
            let code = bytes.isEmpty
                ? "".withCString { respaldo_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, $0) }
                : bytes.withUnsafeBytes { buffer in
                    buffer.baseAddress.map {
                        respaldo_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0))
                    } ?? CURLE_BAD_FUNCTION_ARGUMENT
                }
            try check(code, name)
        case let .httpHeaders(lines): try list(CURLOPT_HTTPHEADER, lines, name)
        case let .userAgent(value): try string(CURLOPT_USERAGENT, value, name)
        case let .customRequest(method): try string(CURLOPT_CUSTOMREQUEST, method, name)
        case let .mailFrom(address): try string(CURLOPT_MAIL_FROM, address, name)
        case let .mailRecipients(addresses): try list(CURLOPT_MAIL_RCPT, addresses, name)
        case .requireTLS: try long(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue), name)
        }
    }

    private func long(_ option: CURLoption, _ value: Int, _ name: String) throws(CurlError) {
        try check(respaldo_curl_setopt_long(handle, option, value), name)
    }

    private func offset(_ option: CURLoption, _ value: Int64, _ name: String) throws(CurlError) {
        try check(respaldo_curl_setopt_off(handle, option, curl_off_t(value)), name)
    }

    /// libcurl copies strings, so `value` need not outlive the call.
    private func string(_ option: CURLoption, _ value: String, _ name: String) throws(CurlError) {
        let code = value.withCString { respaldo_curl_setopt_string(handle, option, $0) }
        try check(code, name)
    }

    /// libcurl does not copy lists: the handle keeps this one until `reset()`.
    private func list(_ option: CURLoption, _ lines: [String], _ name: String) throws(CurlError) {
        let list = try CurlList(lines, option: name)
        try check(respaldo_curl_setopt_slist(handle, option, list.head), name)
        keptLists.append(list)
    }
}
