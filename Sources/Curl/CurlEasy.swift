import CCurl

// The only target that imports CCurl. It knows nothing of SFTP paths, host names, mail or
// webhooks: it runs one transfer on the calling thread and reports libcurl's code and
// message; its callers (Storage's SFTPStore, RespaldoCore's alerts) give them meaning.

/// One libcurl easy handle. It owns the connection cache, so connections are reused from one
/// transfer to the next (also across `reset()`). Not thread-safe: the owner serializes.
/// `perform` blocks the calling thread: never call it from Swift concurrency's cooperative pool.
public final class CurlEasy {
    /// libcurl's process-wide initialisation, run once (a static let is initialised exactly once,
    /// thread-safely) before the first handle is created.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    let handle: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER: libcurl keeps the pointer, so it lives as long as the handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Lists given to options since the last reset: libcurl points into them.
    var keptLists: [CurlList] = []
    /// Set by `CurlOption.sshKnownHosts`: `perform` then installs the host-key callback.
    var checksKnownHosts = false

    public init() throws(CurlError) {
        guard Self.globalInit == CURLE_OK else {
            throw CurlError(code: CurlCode(Self.globalInit), message: "curl_global_init failed")
        }
        guard let handle = curl_easy_init() else {
            throw CurlError(code: .failedInit, message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try reset()
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Forgets every option of the previous transfer; keeps open connections.
    public func reset() throws(CurlError) {
        curl_easy_reset(handle)
        keptLists.removeAll()  // after the reset: libcurl no longer points into them
        checksKnownHosts = false
        try check(respaldo_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
    }

    /// Sets several options in order.
    public func set(_ options: [CurlOption]) throws(CurlError) {
        for option in options { try set(option) }
    }

    // MARK: - Transfer

    /// Runs one transfer on the calling thread with `transfer`'s callbacks. A reader's or
    /// writer's error is rethrown as is; libcurl failures throw CurlError.
    public func perform(_ transfer: CurlTransfer) throws {
        let context = transfer.context
        if transfer.reader != nil {
            try check(respaldo_curl_setopt_read(handle) { buffer, size, count, context in
                let transfer = CurlTransfer.from(context)
                guard !transfer.isCancelled, let reader = transfer.reader, let buffer else {
                    return Int(CURL_READFUNC_ABORT)
                }
                let capacity = size * count
                do {
                    let produced = try reader(UnsafeMutableRawBufferPointer(start: buffer, count: capacity))
                    precondition(produced >= 0 && produced <= capacity, "reader returned \(produced) for a \(capacity)-byte buffer")
                    return produced
                } catch {
                    transfer.failure = error
                    return Int(CURL_READFUNC_ABORT)
                }
            }, "CURLOPT_READFUNCTION")
            try check(respaldo_curl_setopt_pointer(handle, CURLOPT_READDATA, context), "CURLOPT_READDATA")
        }
        if transfer.seeker != nil {
            try check(respaldo_curl_setopt_seek(handle) { context, offset, origin in
                let transfer = CurlTransfer.from(context)
                guard origin == SEEK_SET, let seeker = transfer.seeker else { return CURL_SEEKFUNC_CANTSEEK }
                return seeker(Int64(offset)) ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL
            }, "CURLOPT_SEEKFUNCTION")
            try check(respaldo_curl_setopt_pointer(handle, CURLOPT_SEEKDATA, context), "CURLOPT_SEEKDATA")
        }
        if checksKnownHosts {
            try check(respaldo_curl_setopt_sshkey(handle) { _, _, found, match, context in
                let transfer = CurlTransfer.from(context)
                if let found {
                    let key = ObservedHostKey(found.pointee, match: match)
                    transfer.hostKey = key
                    if transfer.revokedHostKeys.contains(key.base64) {
                        transfer.hostKeyRevoked = true
                        return Int32(bitPattern: CURLKHSTAT_REJECT.rawValue)
                    }
                }
                return Int32(bitPattern: (match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT).rawValue)
            }, "CURLOPT_SSH_KEYFUNCTION")
            try check(respaldo_curl_setopt_pointer(handle, CURLOPT_SSH_KEYDATA, context), "CURLOPT_SSH_KEYDATA")
        }
        if transfer.recordsHeaders {
            try check(respaldo_curl_setopt_header(handle) { buffer, size, count, context in
                let transfer = CurlTransfer.from(context)
                let total = size * count
                guard let buffer else { return total }
                let line = UnsafeRawBufferPointer(start: buffer, count: total)
                return transfer.recordHeader(line) ? total : (total == 0 ? 1 : 0)
            }, "CURLOPT_HEADERFUNCTION")
            try check(respaldo_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "CURLOPT_HEADERDATA")
        }
        // Always install a writer: without one libcurl writes downloads to stdout.
        try check(respaldo_curl_setopt_write(handle) { buffer, size, count, context in
            let transfer = CurlTransfer.from(context)
            let total = size * count
            if transfer.isCancelled { return total == 0 ? 1 : 0 }  // a short count aborts
            guard let writer = transfer.writer else { return total }
            do {
                try writer(UnsafeRawBufferPointer(start: buffer, count: total))
                return total
            } catch {
                transfer.failure = error
                return total == 0 ? 1 : 0
            }
        }, "CURLOPT_WRITEFUNCTION")
        try check(respaldo_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "CURLOPT_WRITEDATA")
        // Progress callback: the only place libcurl asks us mid-handshake or mid-stall whether
        // to go on, so it is what makes a cancellation prompt.
        try check(respaldo_curl_setopt_xferinfo(handle) { context, _, _, _, _ in
            CurlTransfer.from(context).isCancelled ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try check(respaldo_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "CURLOPT_XFERINFODATA")
        try check(respaldo_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "CURLOPT_NOPROGRESS")

        errorBuffer[0] = 0
        let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        if let failure = transfer.failure { throw failure }
        guard code == CURLE_OK else { throw CurlError(code: CurlCode(code), message: message(for: code)) }
    }

    // MARK: - Information about the last transfer

    /// The size of the download (an SFTP file's size after a `noBody` stat), when known.
    public var downloadContentLength: Int64? {
        var value: curl_off_t = -1
        guard respaldo_curl_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &value) == CURLE_OK,
              value >= 0 else { return nil }
        return Int64(value)
    }

    /// The last response's status code (HTTP status, SMTP reply code), when there was one.
    public var responseCode: Int? {
        var value = 0
        guard respaldo_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &value) == CURLE_OK, value > 0 else {
            return nil
        }
        return value
    }

    // MARK: - Helpers

    private func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    func check(_ code: CURLcode, _ name: String) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(code: CurlCode(code), message: "\(name): \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// What the libcurl in use was built with.
public enum CurlBuild {
    /// (CURLVERSION_NOW is a macro Swift cannot see; ELEVENTH is its value in these headers.)
    /// The SSH library, as libcurl names it (`libssh2/1.10.0`, `libssh/0.10.4`), nil without SSH.
    public static var sshBackend: String? {
        guard let info = curl_version_info(CURLVERSION_ELEVENTH), let name = info.pointee.libssh_version else { return nil }
        return String(cString: name)
    }
}
