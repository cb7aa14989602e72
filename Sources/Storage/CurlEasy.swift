import CCurl
import Synchronization

// The only file besides SFTPStore.swift that touches libcurl. It knows nothing of SFTP paths,
// host names or StorageError: it runs one transfer on the calling thread and reports libcurl's
// code and message; SFTPStore gives them meaning.

/// A failed libcurl call: the CURLcode and the most specific message libcurl gave.
struct CurlError: Error {
    var code: CURLcode
    var message: String

    var number: Int { Int(code.rawValue) }
}

/// A cancellation flag shared by a store and the callbacks of its transfers. Setting it makes
/// the next progress, read or write callback abort the transfer.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}

/// What libcurl's host-key callback saw (known_hosts mode only: with a pinned SHA-256 libcurl
/// compares the fingerprint itself and calls no callback).
struct ObservedHostKey {
    var match: curl_khmatch
    /// libcurl's key type (CURLKHTYPE_*).
    var type: curl_khtype
    /// The type named inside the key blob (`ssh-ed25519`, `ecdsa-sha2-nistp384`), when known.
    var typeName: String?
    /// The key blob in base64, as it appears in a known_hosts line.
    var base64: String
}

/// The state one transfer's C callbacks reach through their `void *` argument. It lives for
/// exactly one `CurlEasy.perform` (the callbacks' closures are not allowed to escape it).
final class CurlTransfer {
    /// Fills the buffer with upload bytes; 0 is the end. A thrown error aborts the transfer.
    var reader: ((UnsafeMutableRawBufferPointer) throws -> Int)?
    /// Receives downloaded bytes. A thrown error aborts the transfer.
    var writer: ((UnsafeRawBufferPointer) throws -> Void)?
    /// Moves the upload source to an absolute offset (for a resumed upload); false fails it.
    var seeker: ((Int64) -> Bool)?
    let cancel: CancelFlag?
    /// The first error thrown by a reader or writer; it is what the caller sees, not the
    /// CURLE_ABORTED_BY_CALLBACK or CURLE_WRITE_ERROR it caused.
    var failure: (any Error)?
    var hostKey: ObservedHostKey?

    init(cancel: CancelFlag?) {
        self.cancel = cancel
    }

    var isCancelled: Bool { cancel?.isSet ?? false }

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

/// One libcurl easy handle. It owns the connection cache, so SSH connections are reused from
/// one transfer to the next (also across `reset()`). Not thread-safe: the owner serializes.
/// `perform` blocks the calling thread: never call it from Swift concurrency's cooperative pool.
final class CurlEasy {
    /// libcurl's process-wide initialisation, run once (a static let is initialised exactly once,
    /// thread-safely) before the first handle is created.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    private let handle: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER: libcurl keeps the pointer, so it lives as long as the handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(CurlError) {
        guard Self.globalInit == CURLE_OK else {
            throw CurlError(code: Self.globalInit, message: "curl_global_init failed")
        }
        guard let handle = curl_easy_init() else {
            throw CurlError(code: CURLE_FAILED_INIT, message: "curl_easy_init failed")
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
    func reset() throws(CurlError) {
        curl_easy_reset(handle)
        try check(respaldo_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
    }

    // MARK: - Options

    func set(_ option: CURLoption, long value: Int, _ name: String) throws(CurlError) {
        try check(respaldo_curl_setopt_long(handle, option, value), name)
    }

    func set(_ option: CURLoption, offset value: Int64, _ name: String) throws(CurlError) {
        try check(respaldo_curl_setopt_off(handle, option, curl_off_t(value)), name)
    }

    /// libcurl copies strings, so `value` need not outlive the call.
    func set(_ option: CURLoption, string value: String, _ name: String) throws(CurlError) {
        let code = value.withCString { respaldo_curl_setopt_string(handle, option, $0) }
        try check(code, name)
    }

    /// libcurl does not copy lists: `list` must stay alive until the transfer ends.
    func set(_ option: CURLoption, list: CurlList, _ name: String) throws(CurlError) {
        try check(respaldo_curl_setopt_slist(handle, option, list.head), name)
    }

    /// Accepts the server's host key only if `CURLOPT_SSH_KNOWNHOSTS` lists it for this host
    /// and port; a missing entry and a different key are both refused. Records what it saw.
    func verifyHostKeyAgainstKnownHosts(_ file: String, transfer: CurlTransfer) throws(CurlError) {
        try set(CURLOPT_SSH_KNOWNHOSTS, string: file, "CURLOPT_SSH_KNOWNHOSTS")
        try check(respaldo_curl_setopt_sshkey(handle) { _, _, found, match, context in
            let transfer = CurlTransfer.from(context)
            if let found {
                let key = found.pointee
                // len 0: `key` is NUL-terminated base64; otherwise `len` raw bytes.
                if key.len == 0 {
                    transfer.hostKey = ObservedHostKey(match: match, type: key.keytype, base64: String(cString: key.key))
                } else {
                    let blob = UnsafeRawBufferPointer(start: key.key, count: key.len)
                    transfer.hostKey = ObservedHostKey(
                        match: match, type: key.keytype, typeName: sshKeyType(blob), base64: base64Encode(blob))
                }
            }
            return Int32(bitPattern: (match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT).rawValue)
        }, "CURLOPT_SSH_KEYFUNCTION")
        try check(respaldo_curl_setopt_pointer(handle, CURLOPT_SSH_KEYDATA, transfer.context), "CURLOPT_SSH_KEYDATA")
    }

    // MARK: - Transfer

    /// Runs one transfer on the calling thread with `transfer`'s callbacks. A reader's or
    /// writer's error is rethrown as is; libcurl failures throw CurlError.
    func perform(_ transfer: CurlTransfer) throws {
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
        // to go on, so it is what makes `cancel()` prompt.
        try check(respaldo_curl_setopt_xferinfo(handle) { context, _, _, _, _ in
            CurlTransfer.from(context).isCancelled ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try check(respaldo_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "CURLOPT_XFERINFODATA")
        try set(CURLOPT_NOPROGRESS, long: 0, "CURLOPT_NOPROGRESS")

        errorBuffer[0] = 0
        let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        if let failure = transfer.failure { throw failure }
        guard code == CURLE_OK else { throw CurlError(code: code, message: message(for: code)) }
    }

    // MARK: - Information

    func info(offset item: CURLINFO) -> Int64? {
        var value: curl_off_t = 0
        guard respaldo_curl_getinfo_off(handle, item, &value) == CURLE_OK else { return nil }
        return Int64(value)
    }

    // MARK: - Helpers

    private func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    private func check(_ code: CURLcode, _ name: String) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(code: code, message: "\(name): \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// A `curl_slist` (QUOTE commands) owned by Swift: freed when the last reference goes.
final class CurlList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) throws(CurlError) {
        for line in lines {
            guard let next = curl_slist_append(head, line) else {
                throw CurlError(code: CURLE_OUT_OF_MEMORY, message: "curl_slist_append failed")
            }
            head = next
        }
    }

    deinit { curl_slist_free_all(head) }
}

/// The key type an SSH public key blob starts with (RFC 4253 6.6: a length-prefixed string).
func sshKeyType(_ blob: UnsafeRawBufferPointer) -> String? {
    guard blob.count >= 4 else { return nil }
    let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
    guard length > 0, length <= 64, blob.count >= 4 + length else { return nil }
    let name = blob[4..<(4 + length)]
    guard name.allSatisfy({ (0x21...0x7e).contains($0) }) else { return nil }
    return String(decoding: name, as: UTF8.self)
}

/// Standard base64 (RFC 4648, with padding), as used in known_hosts lines.
func base64Encode(_ bytes: UnsafeRawBufferPointer) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
        let b0 = UInt32(bytes[index])
        let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
        let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
        let group = b0 << 16 | b1 << 8 | b2
        out.append(alphabet[Int(group >> 18 & 63)])
        out.append(alphabet[Int(group >> 12 & 63)])
        out.append(index + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
        out.append(index + 2 < bytes.count ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}
