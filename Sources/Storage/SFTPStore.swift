import Curl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Files in a folder of a remote host, over SFTP with libcurl (libssh2).
///
/// - Security: the server's host key is always checked, against a known_hosts file or a pinned
///   SHA-256 fingerprint; there is no way to turn this off. Only public-key authentication
///   (the identity file) is offered.
/// - Atomicity: `put` and `putFile` write `<name>.partial`, compare its remote size with the
///   bytes sent, then rename it. A final name is never replaced: OpenSSH's SFTP server refuses
///   to rename onto an existing file (it links, then unlinks), which is reported as
///   `alreadyExists` (and `putFile` checks first, before sending anything). `put` removes the
///   `.partial` on failure; `putFile` keeps it so that the next call resumes it, except when
///   the final name exists.
/// - Threads: every call blocks its thread for the whole transfer; call it from a dedicated
///   thread, never from Swift concurrency's cooperative pool. Calls from different threads are
///   serialized on one libcurl handle, whose SSH connection is reused from call to call.
/// - Cancellation: `cancel()` from any thread aborts the transfer in progress; it is final.
public final class SFTPStore: CancellableStore, @unchecked Sendable {
    public struct Options: Sendable {
        /// The remote's name, used in messages.
        public var name: String
        /// The remote folder's `sftp://user@host:port/path`, parsed.
        public var endpoint: SFTPEndpoint
        /// The private key (ed25519); its public half is derived from it.
        public var identityFile: String
        /// An OpenSSH known_hosts file listing the server (`[host]:port` when port is not 22).
        public var knownHosts: String?
        /// The server key's pinned SHA-256 fingerprint.
        public var hostKey: HostKeyFingerprint?
        /// Seconds allowed for the TCP connect and the SSH handshake.
        public var connectTimeout: Int
        /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds fails.
        public var lowSpeedLimit: Int
        /// Bytes/s a whole transfer must average after its first `connectTimeout +
        /// lowSpeedTime` seconds (`TransferPace`): 32 KiB/s, a 1 GB artifact in 9 hours.
        public var minimumRate: Int = 32 << 10
        public var lowSpeedTime: Int
        /// Bytes per SFTP write round; SFTP throughput is about this size per round trip.
        /// libcurl's maximum (2 MiB) is the default.
        public var uploadBufferSize: Int
        /// Upload rate cap in bytes per second (libcurl's CURLOPT_MAX_SEND_SPEED_LARGE).
        public var bandwidthLimit: Int64?
        /// An add-only account (`internal-sftp -P remove,posix-rename,…`): every attempt writes
        /// a fresh `.partial` name (the server refuses to reopen a file), nothing is ever
        /// deleted or renamed over, and `delete` refuses. Another host prunes.
        public var appendOnly = false

        public init(
            name: String, endpoint: SFTPEndpoint, identityFile: String, knownHosts: String? = nil,
            hostKey: HostKeyFingerprint? = nil, connectTimeout: Int = 30, lowSpeedLimit: Int = 1024,
            lowSpeedTime: Int = 60, uploadBufferSize: Int = 2 << 20, bandwidthLimit: Int64? = nil
        ) {
            self.name = name
            self.endpoint = endpoint
            self.identityFile = identityFile
            self.knownHosts = knownHosts
            self.hostKey = hostKey
            self.connectTimeout = connectTimeout
            self.lowSpeedLimit = lowSpeedLimit
            self.lowSpeedTime = lowSpeedTime
            self.uploadBufferSize = uploadBufferSize
            self.bandwidthLimit = bandwidthLimit
        }
    }

    /// What `checkConnection` found.
    public struct ConnectionInfo: Sendable, Equatable {
        /// `host:port`.
        public var host: String
        /// With known_hosts: the server's key type (`ssh-ed25519`) and key blob in base64, as a
        /// known_hosts line has them. Its fingerprint, as `ssh-keygen -lf` shows it, is
        /// `SHA256:` + the unpadded base64 of SHA-256 over the decoded blob.
        public var hostKeyType: String?
        public var hostKeyBase64: String?
        /// With a pinned fingerprint: the fingerprint the server's key matched (libcurl checks
        /// it itself and does not show the key).
        public var pinnedSHA256: String?
        /// The remote folder in which a probe file was written and removed.
        public var folder: String
    }

    public let location: String
    public let options: Options
    let endpoint: SFTPEndpoint
    private let pinnedSHA256: String?
    private let revokedHostKeys: Set<String>

    private let lock = Lock()
    private let cancelFlag = CancelFlag()
    /// Guarded by `lock`: the handle (created on first use) and whether the last failure may
    /// have left a dead connection in its cache.
    private var easy: CurlEasy?
    private var needsFreshConnection = false

    /// Bytes per download read (CURLOPT_BUFFERSIZE). libssh2 keeps four reads in flight, so
    /// 512 KiB puts 2 MiB in flight, like the upload buffer and the SSH channel window: SFTP
    /// speed is about that much per round trip. libcurl's default (16 KiB) would cap it.
    static let downloadBufferSize = 512 << 10
    /// A folder listing larger than this is refused (bounded memory).
    static let listingLimit = 64 << 20

    /// Checks the options; connects only on the first call.
    public init(options: Options) throws {
        location = options.name
        self.options = options
        endpoint = options.endpoint
        let knownHosts = options.knownHosts.flatMap { $0.isEmpty ? nil : $0 }
        switch (knownHosts, options.hostKey) {
        case (nil, nil), (.some, .some):
            throw StorageError.configuration(
                location: options.name,
                detail: "set exactly one of known_hosts and host_key_sha256: the host key is always checked")
        case (_, let pinned?):
            // libcurl checks CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256 only with libssh2: builds on
            // libssh before 7.88 accepted the option and ignored it, which would check nothing.
            guard let backend = CurlBuild.sshBackend, backend.hasPrefix("libssh2/") else {
                throw StorageError.configuration(
                    location: options.name,
                    detail: "host_key_sha256 needs libcurl built with libssh2 (this one has \(CurlBuild.sshBackend ?? "no SSH")); use known_hosts instead")
            }
            pinnedSHA256 = pinned.base64
        case (_?, nil):
            pinnedSHA256 = nil
        }
        revokedHostKeys = knownHosts.map(Self.revokedKeys) ?? []
        guard !options.identityFile.isEmpty else {
            throw StorageError.configuration(location: options.name, detail: "no identity file")
        }
        guard options.connectTimeout > 0, options.lowSpeedTime > 0, options.lowSpeedLimit >= 0 else {
            throw StorageError.configuration(location: options.name, detail: "timeouts must be positive")
        }
    }

    /// The key blobs of `@revoked` lines in a known_hosts file (OpenSSH's sshd(8) format:
    /// `@revoked hosts keytype base64 [comment]`). A revoked key is refused for every host.
    static func revokedKeys(_ path: String) -> Set<String> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        var keys: Set<String> = []
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 4, fields[0] == "@revoked" { keys.insert(String(fields[3])) }
        }
        return keys
    }

    // MARK: - Store

    public func put(
        _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        try validateStoredName(name)
        try locked { easy in try putLocked(easy, name, expectedSize: expectedSize, reader: reader) }
    }

    public func putFile(
        _ name: String, localPath: String, progress: ((_ sent: Int64, _ total: Int64) -> Void)?
    ) throws -> PutFileResult {
        try validateStoredName(name)
        let fd = open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw localError("open", localPath) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw localError("stat", localPath) }
        let total = Int64(info.st_size)
        let partial = partialName(for: name)
        return try locked { easy in
            if try remoteSize(easy, name) != nil { throw StorageError.alreadyExists(location: location, name: name) }
            // A .partial no larger than the file is an interrupted upload of it (names are
            // unique per snapshot): continue it. A larger one is not ours to trust: restart.
            // (An add-only account's partial names are fresh: there is nothing to continue.)
            let existing = options.appendOnly ? nil : try remoteSize(easy, partial)
            let resumeFrom = existing.map { $0 <= total ? $0 : 0 } ?? 0
            if existing != total {
                var position: Int64 = 0
                let pace = self.pace()
                try upload(easy, partial, size: total, resumeFrom: resumeFrom, seek: { offset in
                    guard offset >= 0, offset <= total else { return false }
                    position = offset
                    return true
                }) { buffer in
                    let wanted = Int(min(Int64(buffer.count), total - position))
                    guard wanted > 0 else { return 0 }
                    while true {
                        let count = pread(fd, buffer.baseAddress, wanted, off_t(position))
                        if count < 0 {
                            if errno == EINTR { continue }
                            throw localError("read", localPath)
                        }
                        guard count > 0 else {  // the file shrank under us: never publish it
                            throw StorageError.sizeMismatch(location: location, name: name, expected: total, actual: position)
                        }
                        position += Int64(count)
                        try pace.check(bytes: position - resumeFrom, location: location, operation: "upload", name: name)
                        progress?(position, total)
                        return count
                    }
                }
            }
            // On failure the .partial stays, for the next call to resume.
            try publish(easy, partial: partial, final: name, size: total)
            return PutFileResult(bytes: total, resumedFrom: resumeFrom)
        }
    }

    public func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        try validateStoredName(name)
        try locked { easy in
            let pace = self.pace()
            var received: Int64 = 0
            try withoutActuallyEscaping(writer) { writer in
                _ = try run(easy, url: endpoint.url(name), operation: "download", name: name) { easy, transfer in
                    transfer.writer = { [location] piece in
                        received += Int64(piece.count)
                        try pace.check(bytes: received, location: location, operation: "download", name: name)
                        try writer(piece)
                    }
                    try easy.set(.bufferSize(Self.downloadBufferSize))
                    if offset > 0 { try easy.set(.resumeFrom(offset)) }
                }
            }
        }
    }

    public func list(_ directory: String) throws -> [StoredObject] {
        try entries(directory).filter { !$0.name.hasSuffix(partialSuffix) }
    }

    public func partials(_ directory: String) throws -> [StoredObject] {
        try entries(directory).filter { $0.name.hasSuffix(partialSuffix) }
    }

    public func size(of name: String) throws -> Int64? {
        try validateStoredName(name)
        return try locked { easy in try remoteSize(easy, name) }
    }

    public func delete(_ name: String) throws {
        try validateStoredName(name)
        guard !options.appendOnly else {
            throw StorageError.configuration(location: location, detail: "append_only: this host never deletes \(printable(name)) (another host prunes this remote)")
        }
        try locked { easy in try deleteLocked(easy, name) }
    }

    // MARK: - Connection check and cancellation

    /// Connects afresh (so the host key is checked and seen), then writes and removes a probe
    /// file in the remote folder (creating the folder if needed) to prove it is writable.
    public func checkConnection() throws -> ConnectionInfo {
        try locked { easy in
            let transfer = try run(
                easy, url: endpoint.folderURL(""), operation: "connect", name: "", metadata: true, fresh: true
            ) { easy, _ in
                try easy.set(.noBody(true))
            }
            if options.appendOnly {
                // An add-only account may not delete a probe: reading the folder proves the
                // login, the host key and the path; uploads prove the rest.
                _ = try entriesLocked(easy, "")
                return ConnectionInfo(
                    host: endpoint.display, hostKeyType: transfer.hostKey?.displayType, hostKeyBase64: transfer.hostKey?.base64,
                    pinnedSHA256: pinnedSHA256, folder: endpoint.path(""))
            }
            let probe = ".respaldo-check-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let bytes = Array("respaldo write check\n".utf8)
            var offset = 0
            try putLocked(easy, probe, expectedSize: Int64(bytes.count)) { buffer in
                let count = min(buffer.count, bytes.count - offset)
                bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
                }
                offset += count
                return count
            }
            try deleteLocked(easy, probe)
            return ConnectionInfo(
                host: endpoint.display,
                hostKeyType: transfer.hostKey?.displayType,
                hostKeyBase64: transfer.hostKey?.base64,
                pinnedSHA256: pinnedSHA256,
                folder: endpoint.path(""))
        }
    }

    public func cancel() { cancelFlag.set() }

    /// `<name>.partial`, or on an add-only account `<name>.<random>.partial`: that server
    /// refuses to reopen a file, so each attempt needs a name of its own.
    private func partialName(for name: String) -> String {
        options.appendOnly ? "\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 16))\(partialSuffix)" : name + partialSuffix
    }

    /// The size-scaled deadline of one transfer (see `TransferPace`).
    private func pace() -> TransferPace {
        TransferPace(grace: Double(options.connectTimeout + options.lowSpeedTime), minimumRate: Double(options.minimumRate))
    }

    public var isCancelled: Bool { cancelFlag.isSet }

    // MARK: - Operations (lock held)

    private func putLocked(
        _ easy: CurlEasy, _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        let partial = partialName(for: name)
        var sent: Int64 = 0
        var started = false
        // Only a known-size source is paced: a streamed one (the dump itself) sets its own pace.
        let pace = expectedSize == nil ? nil : self.pace()
        do {
            // libcurl does not enforce CURLOPT_INFILESIZE for SFTP: a short stream would be
            // uploaded and published short. The reader wrapper stops at a wrong size instead.
            try upload(easy, partial, size: expectedSize, resumeFrom: 0, seek: nil) { buffer in
                started = true
                let limit = expectedSize.map { Int(min(Int64(buffer.count), max($0 - sent, 0) + 1)) } ?? buffer.count
                let count = try reader(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<limit]))
                sent += Int64(count)
                try pace?.check(bytes: sent, location: location, operation: "upload", name: name)
                if let expectedSize, count == 0 ? sent != expectedSize : sent > expectedSize {
                    throw StorageError.sizeMismatch(location: location, name: name, expected: expectedSize, actual: sent)
                }
                return count
            }
            try publish(easy, partial: partial, final: name, size: sent)
        } catch {
            // libcurl creates the remote file just before the first read: a failure before that
            // (connect, host key, authentication, folder creation) left nothing to remove.
            if started && !options.appendOnly { removeQuietly(easy, partial) }
            throw error
        }
    }

    /// Uploads to `name` from `reader`, creating missing folders (0700) and the file (0600).
    /// With `resumeFrom` > 0 the remote file is appended to, after `seek` moved the source.
    private func upload(
        _ easy: CurlEasy, _ name: String, size: Int64?, resumeFrom: Int64, seek: ((Int64) -> Bool)?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        try withoutActuallyEscaping(reader) { reader in
            _ = try run(easy, url: endpoint.url(name), operation: "upload", name: name) { easy, transfer in
                transfer.reader = reader
                transfer.seeker = seek
                try easy.set([
                    .upload(true),
                    .createMissingDirectories(true),
                    .newDirectoryPermissions(0o700),
                    .newFilePermissions(0o600),
                    .uploadBufferSize(min(max(options.uploadBufferSize, 16 << 10), 2 << 20)),
                ])
                if let size { try easy.set(.uploadSize(size)) }
                if let limit = options.bandwidthLimit, limit > 0 { try easy.set(.maxSendSpeed(limit)) }
                if resumeFrom > 0 { try easy.set(.resumeFrom(resumeFrom)) }
            }
        }
    }

    /// Checks that `partial` holds `size` bytes, then renames it to `final`, which must not
    /// exist (the `.partial` is then removed: it can never be published), and checks the
    /// published size.
    private func publish(_ easy: CurlEasy, partial: String, final: String, size: Int64) throws {
        guard let stored = try remoteSize(easy, partial) else {
            throw StorageError.notFound(location: location, name: partial)
        }
        guard stored == size else {
            throw StorageError.sizeMismatch(location: location, name: final, expected: size, actual: stored)
        }
        // A final name is never replaced (another host's snapshot under the same id, a file an
        // attacker prepared): OpenSSH's SFTP rename refuses an existing target, and a target
        // seen first is refused here with a clear error.
        if try remoteSize(easy, final) != nil {
            removeQuietly(easy, partial)  // it can never be published
            throw StorageError.alreadyExists(location: location, name: final)
        }
        let commands = ["rename \(endpoint.quoted(partial)) \(endpoint.quoted(final))"]
        // The URL is the final name: after the QUOTE commands, NOBODY makes libcurl stat it,
        // which double-checks the rename.
        do {
            try run(easy, url: endpoint.url(final), operation: "rename", name: final, metadata: true) { easy, _ in
                try easy.set([.noBody(true), .quote(commands)])
            }
        } catch {
            if (try? remoteSize(easy, final)) != nil {
                removeQuietly(easy, partial)
                throw StorageError.alreadyExists(location: location, name: final)
            }
            throw error
        }
        if let published = easy.downloadContentLength, published != size {
            throw StorageError.sizeMismatch(location: location, name: final, expected: size, actual: published)
        }
    }

    /// The size of `name`, nil if it does not exist.
    private func remoteSize(_ easy: CurlEasy, _ name: String) throws -> Int64? {
        do {
            try run(easy, url: endpoint.url(name), operation: "stat", name: name, metadata: true) { easy, _ in
                try easy.set(.noBody(true))
            }
        } catch let error as StorageError {
            if case .notFound = error { return nil }
            throw error
        }
        if let size = easy.downloadContentLength { return size }
        // libcurl reports no size for an empty file: read it from the folder's listing.
        let folder = name.lastIndex(of: "/").map { String(name[..<$0]) } ?? ""
        guard let entry = try entriesLocked(easy, folder).first(where: { $0.name == name }) else {
            throw StorageError.remote(location: location, operation: "stat", name: name, code: 0, message: "not a regular file")
        }
        return entry.size
    }

    private func deleteLocked(_ easy: CurlEasy, _ name: String) throws {
        do {
            try run(easy, url: endpoint.folderURL(""), operation: "delete", name: name, metadata: true) { easy, _ in
                try easy.set([.noBody(true), .quote(["rm \(endpoint.quoted(name))"])])
            }
        } catch let error as StorageError {
            // The rm failed; if the file is gone (or never was) the delete succeeded.
            if case .remote(_, _, _, CurlCode.quoteError.rawValue, _) = error, try remoteSize(easy, name) == nil {
                return
            }
            throw error
        }
    }

    /// Best effort removal of a temporary file after a failure, even after `cancel()`, within a
    /// few seconds at most.
    private func removeQuietly(_ easy: CurlEasy, _ name: String) {
        _ = try? run(
            easy, url: endpoint.folderURL(""), operation: "remove", name: name, metadata: true,
            honoursCancel: false
        ) { easy, _ in
            try easy.set([
                .noBody(true), .quote(["*rm \(endpoint.quoted(name))"]), .timeout(seconds: min(options.connectTimeout, 10)),
            ])
        }
    }

    private func entries(_ directory: String) throws -> [StoredObject] {
        if !directory.isEmpty { try validateStoredName(directory) }
        return try locked { easy in try entriesLocked(easy, directory) }
    }

    /// The regular files directly inside `directory`, `.partial` ones included.
    private func entriesLocked(_ easy: CurlEasy, _ directory: String) throws -> [StoredObject] {
        var listing: [UInt8] = []
        do {
            try run(easy, url: endpoint.folderURL(directory), operation: "list", name: directory, metadata: true) { _, transfer in
                transfer.writer = { [location] piece in
                    guard listing.count + piece.count <= Self.listingLimit else {
                        throw StorageError.tooLarge(location: location, name: directory + "/", limit: Self.listingLimit)
                    }
                    listing.append(contentsOf: piece)
                }
            }
        } catch let error as StorageError {
            if case .notFound = error { return [] }  // a missing folder holds nothing
            throw error
        }
        var result: [StoredObject] = []
        for line in listing.split(separator: UInt8(ascii: "\n")) {
            guard let entry = Self.parseListingLine(Array(line)) else {
                throw StorageError.remote(
                    location: location, operation: "list", name: directory, code: 0,
                    message: "unexpected listing line \"\(String(decoding: line, as: UTF8.self))\"")
            }
            guard entry.isFile, entry.name != ".", entry.name != ".." else { continue }
            result.append(StoredObject(name: directory.isEmpty ? entry.name : directory + "/" + entry.name, size: entry.size))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Parses one line of the server's long listing, as OpenSSH writes it (`ls -l` style):
    /// `mode links owner group size month day time-or-year name`; the name is everything after
    /// the single space that follows the eighth field. Only regular files count (`-` mode).
    static func parseListingLine(_ line: [UInt8]) -> (name: String, size: Int64, isFile: Bool)? {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        var fields: [ArraySlice<UInt8>] = []
        let space = UInt8(ascii: " ")
        while fields.count < 8 {
            bytes = bytes.drop { $0 == space }
            let field = bytes.prefix { $0 != space }
            guard !field.isEmpty else { return nil }
            fields.append(field)
            bytes = bytes.dropFirst(field.count)
        }
        guard bytes.first == space, bytes.count > 1,
              let size = Int64(String(decoding: fields[4], as: UTF8.self)), size >= 0 else { return nil }
        let name = String(decoding: bytes.dropFirst(), as: UTF8.self)
        return (name, size, fields[0].first == UInt8(ascii: "-"))
    }

    // MARK: - Running transfers

    /// Takes the lock and the handle (created on first use); refuses work after `cancel()`.
    @discardableResult
    private func locked<T>(_ body: (CurlEasy) throws -> T) throws -> T {
        try lock.withLock {
            guard !cancelFlag.isSet else { throw StorageError.cancelled(location: location) }
            if easy == nil {
                do {
                    easy = try CurlEasy()
                } catch let error as CurlError {
                    throw StorageError.remote(location: location, operation: "init", name: "", code: error.number, message: error.message)
                }
            }
            return try body(easy!)
        }
    }

    /// One libcurl transfer on the shared handle with the store's connection, authentication
    /// and host-key settings, plus `configure`'s. libcurl failures become StorageError; an error
    /// thrown by the transfer's reader or writer is rethrown as is.
    @discardableResult
    private func run(
        _ easy: CurlEasy, url: String, operation: String, name: String, metadata: Bool = false,
        fresh: Bool = false, honoursCancel: Bool = true,
        configure: (CurlEasy, CurlTransfer) throws -> Void
    ) throws -> CurlTransfer {
        let transfer = CurlTransfer(cancel: honoursCancel ? cancelFlag : nil)
        transfer.revokedHostKeys = revokedHostKeys
        defer {
            // The closures may wrap non-escaping ones: none may outlive this call.
            transfer.reader = nil
            transfer.writer = nil
            transfer.seeker = nil
        }
        do {
            try easy.reset()
            try easy.set([
                .url(url),
                .protocols("sftp"),
                .noSignal(true),
                .sshPublicKeyAuthOnly,
                .sshPrivateKeyFile(options.identityFile),
                .sshPublicKeyFile(""),  // libssh2 derives the public key from the private one
            ])
            if let pinnedSHA256 {
                try easy.set(.sshHostPublicKeySHA256(pinnedSHA256))
            } else if let knownHosts = options.knownHosts {
                try easy.set(.sshKnownHosts(knownHosts))
            }
            try easy.set([
                .connectTimeout(seconds: options.connectTimeout),
                .lowSpeedLimit(bytesPerSecond: options.lowSpeedLimit),
                .lowSpeedTime(seconds: options.lowSpeedTime),
                .tcpKeepAlive(true),
            ])
            if metadata {
                // Commands and listings are not covered by the low-speed check: bound them.
                try easy.set(.timeout(seconds: options.connectTimeout + options.lowSpeedTime))
            }
            if fresh || needsFreshConnection {
                try easy.set(.freshConnect(true))
            }
            try configure(easy, transfer)
            try easy.perform(transfer)
            needsFreshConnection = false
            return transfer
        } catch let error as CurlError {
            // Codes after which the cached connection may be dead: connect, partial file,
            // timeout, aborted, send, receive, SSH.
            if [7, 18, 28, 42, 55, 56, 79].contains(error.number) { needsFreshConnection = true }
            throw storageError(error, operation: operation, name: name, transfer: transfer)
        } catch {
            needsFreshConnection = true  // a callback aborted mid-transfer
            if honoursCancel, cancelFlag.isSet { throw StorageError.cancelled(location: location) }
            throw error
        }
    }

    private func storageError(_ error: CurlError, operation: String, name: String, transfer: CurlTransfer) -> StorageError {
        switch error.code {
        case .abortedByCallback where transfer.isCancelled:
            return .cancelled(location: location)
        case .peerFailedVerification:
            return .hostKey(location: location, host: endpoint.display, detail: hostKeyDetail(error, transfer))
        case .loginDenied:
            if access(options.identityFile, R_OK) != 0 {
                return .configuration(
                    location: location,
                    detail: "cannot read identity file \(options.identityFile): \(errnoText(errno))")
            }
            return .authentication(location: location, host: endpoint.display)
        case .remoteAccessDenied:
            return .permissionDenied(location: location, name: name, detail: error.message)
        case .quoteError where error.message.contains("ermission denied"):
            return .permissionDenied(location: location, name: name, detail: error.message)
        case .remoteFileNotFound:
            return .notFound(location: location, name: name)
        default:
            return .remote(location: location, operation: operation, name: name, code: error.number, message: error.message)
        }
    }

    private func hostKeyDetail(_ error: CurlError, _ transfer: CurlTransfer) -> String {
        if let pinnedSHA256 {
            return "the server's key does not have the pinned SHA-256 fingerprint \(pinnedSHA256) (\(error.message))"
        }
        let file = options.knownHosts ?? ""
        guard let key = transfer.hostKey else { return error.message }
        if transfer.hostKeyRevoked {
            return "the server's \(key.displayType) key is marked @revoked in \(file): it is refused"
        }
        let type = key.displayType
        switch key.match {
        case .mismatch:
            return "the server's \(type) key differs from the one \(file) lists for \(endpoint.knownHostsName) (possible man-in-the-middle, or the server's key changed)"
        case .missing:
            return "\(file) has no key for \(endpoint.knownHostsName) (the server offers \(type) \(key.base64))"
        default:
            return error.message
        }
    }

    // MARK: - Names

    private func localError(_ operation: String, _ path: String) -> StorageError {
        .io(location: location, operation: operation, path: path, errno: errno)
    }
}

/// A pthread mutex; `withLock` is not reentrant.
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
