import Curl
import Synchronization

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
public final class SFTPStore: CancellableStore {
    public let location: String
    public let options: Options
    let endpoint: SFTPEndpoint
    let pinnedSHA256: String?
    let revokedHostKeys: Set<String>

    let cancelFlag = CancelFlag()
    /// The handle, created on first use; holding the lock is holding the handle.
    let handle = Mutex<CurlEasy?>(nil)
    /// Whether the last failure may have left a dead connection in the handle's cache; used
    /// with `handle` held, in a lock of its own so that `run` needs only the handle.
    let needsFreshConnection = Mutex(false)

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

    public func cancel() { cancelFlag.set() }

    /// `<name>.partial`, or on an add-only account `<name>.<random>.partial`: that server
    /// refuses to reopen a file, so each attempt needs a name of its own.
    func partialName(for name: String) -> String {
        options.appendOnly ? "\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 16))\(partialSuffix)" : name + partialSuffix
    }

    /// The size-scaled deadline of one transfer (see `TransferPace`).
    func pace() -> TransferPace {
        TransferPace(grace: Double(options.connectTimeout + options.lowSpeedTime), minimumRate: Double(options.minimumRate))
    }

    public var isCancelled: Bool { cancelFlag.isSet }
}
