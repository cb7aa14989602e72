import Curl
import Synchronization
import struct Foundation.Date

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Objects in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, SeaweedFS), over HTTPS with
/// libcurl and AWS Signature V4.
///
/// How it keeps the `Store` contract:
/// - Atomic writes: an object appears under its final key only complete. A small `put` is one
///   PutObject; a larger one, and `putFile`, a multipart upload, which S3 shows only once
///   CompleteMultipartUpload has assembled it. A failed `put` aborts its upload.
/// - A final name is never replaced: every PutObject and CompleteMultipartUpload carries
///   `If-None-Match: *`, which the server checks atomically (AWS S3 since 2024, SeaweedFS,
///   MinIO, Ceph RGW 19+), and a HEAD before the upload fails early. A server that ignores
///   the header leaves a race between the HEAD and the write: two writers of the same new
///   name at once, which respaldo's unique snapshot names rule out.
/// - `.partial` names: an in-progress multipart upload of `key` is reported by `partials` as
///   `key.partial` (its size: the parts uploaded so far) and `delete("key.partial")` aborts it
///   (every in-progress upload of `key`), so prune's handling of stale partial files aborts
///   stale uploads with no S3-specific code. `list` never shows them.
/// - `putFile` resumes: an interrupted upload of the same key is found with
///   ListMultipartUploads, its parts with ListParts; each part whose size and ETag (the MD5 of
///   its bytes) match the local file is kept, any other is sent again.
/// - Bounded memory: one part buffer (`partSize`, 16 MiB by default) per call.
/// - Every part's SHA-256 is signed (`x-amz-content-sha256`) and its MD5 sent as
///   `Content-MD5`, which S3 requires with Object Lock.
/// - With `objectLock`, each object is written with `x-amz-object-lock-mode` and
///   `x-amz-object-lock-retain-until-date` (now + days). Deleting a locked object throws
///   `StorageError.locked(until:)`. On a versioned bucket `delete` removes every version of
///   the key (and its delete markers): a plain DELETE would only hide the object.
/// - Threads and cancellation as `SFTPStore`: each call blocks its thread; calls are
///   serialized on one libcurl handle; `cancel()` aborts the transfer in progress for good.
public final class S3Store: CancellableStore, ObjectLocking {
    public let location: String
    public let options: Options
    let target: S3Target

    private let cancelFlag = CancelFlag()
    /// Holding the lock is holding the connection: every call is serialized on it.
    private let connection: Mutex<S3Connection>
    private let versioningCache = Mutex<BucketConfiguration.Versioning?>(nil)
    private let pageSize = Mutex(1000)

    /// Keys per listing page (S3's maximum is 1000); tests lower it to exercise pagination.
    var listPageSize: Int {
        get { pageSize.withLock { $0 } }
        set { pageSize.withLock { $0 = newValue } }
    }

    /// Checks the options; connects only on the first call. `now` is the clock for request
    /// dates and lock dates (tests replace it).
    public init(options: Options, now: @escaping @Sendable () -> Date = { Date() }) throws {
        location = options.name
        self.options = options
        do {
            target = try S3Target(options: options)
        } catch {
            throw StorageError.configuration(location: options.name, detail: error.description)
        }
        if let caFile = options.caFile, access(caFile, R_OK) != 0 {
            throw StorageError.configuration(location: options.name, detail: "cannot read ca_file \(caFile): \(errnoText(errno))")
        }
        connection = Mutex(S3Connection(location: options.name, target: target, options: options, cancelFlag: cancelFlag, now: now))
    }

    public var lockPolicy: ObjectLockPolicy? { options.objectLock }

    /// The bucket and key prefix, for messages: `s3://bucket/prefix`.
    public var display: String { "s3://\(target.bucket)/\(target.prefix)" }

    // MARK: - Store

    public func put(
        _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        try validateFinalName(name)
        try locked { connection in
            try Uploader(store: self, connection: connection, name: name).put(expectedSize: expectedSize, reader: reader)
        }
    }

    public func putFile(
        _ name: String, localPath: String, progress: ((_ sent: Int64, _ total: Int64) -> Void)?
    ) throws -> PutFileResult {
        try validateFinalName(name)
        let fd = open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(location: location, operation: "open", path: localPath, errno: errno) }
        defer { close(fd) }
        return try locked { connection in
            try Uploader(store: self, connection: connection, name: name).putFile(fd: fd, path: localPath, progress: progress)
        }
    }

    public func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        try validateStoredName(name)
        guard offset >= 0 else { throw StorageError.invalidName(name) }
        try locked { connection in
            try withoutActuallyEscaping(writer) { writer in
                // A server that ignores Range sends the whole object (200): skip what was not asked.
                var skip: Int64 = 0
                var started = false
                let response = try connection.send(
                    "GET", key: target.key(name), headers: offset > 0 ? [("range", "bytes=\(offset)-")] : [],
                    operation: "download", name: name
                ) { piece, status in
                    if !started {
                        started = true
                        if status == 200 { skip = offset }
                    }
                    if skip > 0 {
                        let dropped = Int(min(skip, Int64(piece.count)))
                        skip -= Int64(dropped)
                        if dropped < piece.count { try writer(UnsafeRawBufferPointer(rebasing: piece[dropped...])) }
                        return
                    }
                    try writer(piece)
                }
                if response.status == 416, offset > 0 {
                    // Range past the end: fine exactly at the end (nothing left to read).
                    let size = try headSize(connection, name)
                    guard let size else { throw StorageError.notFound(location: location, name: name) }
                    guard size == offset else {
                        throw StorageError.sizeMismatch(location: location, name: name, expected: offset, actual: size)
                    }
                    return
                }
                guard response.isSuccess else { throw connection.error(response, operation: "download", name: name) }
                if skip > 0 {  // a 200 shorter than the offset asked for
                    throw StorageError.sizeMismatch(location: location, name: name, expected: offset, actual: offset - skip)
                }
            }
        }
    }

    public func list(_ directory: String) throws -> [StoredObject] {
        if !directory.isEmpty { try validateStoredName(directory) }
        return try locked { connection in
            try Listing(store: self, connection: connection).objects(in: directory)
                .filter { !$0.name.hasSuffix(partialSuffix) }
        }
    }

    public func partials(_ directory: String) throws -> [StoredObject] {
        if !directory.isEmpty { try validateStoredName(directory) }
        return try locked { connection in
            let listing = Listing(store: self, connection: connection)
            var sizes: [String: Int64] = [:]
            for upload in try listing.uploads(in: directory) {
                let size = try listing.parts(key: target.key(upload.name), uploadID: upload.uploadID).reduce(0) { $0 + $1.size }
                sizes[upload.name] = max(sizes[upload.name] ?? 0, size)
            }
            return sizes.map { StoredObject(name: $0.key + partialSuffix, size: $0.value) }.sorted { $0.name < $1.name }
        }
    }

    public func size(of name: String) throws -> Int64? {
        try validateStoredName(name)
        return try locked { connection in try headSize(connection, name) }
    }

    /// Removes `name` (every version of it on a versioned bucket); `name.partial` aborts the
    /// in-progress uploads of `name`. A locked object throws `locked(until:)`.
    public func delete(_ name: String) throws {
        try validateStoredName(name)
        try locked { connection in
            if name.hasSuffix(partialSuffix) {
                let final = String(name.dropLast(partialSuffix.count))
                let listing = Listing(store: self, connection: connection)
                for upload in try listing.uploads(in: parentFolder(final)) where upload.name == final {
                    try abortUpload(connection, name: final, uploadID: upload.uploadID)
                }
                return
            }
            if try versioning(connection) == .off {
                let response = try connection.send("DELETE", key: target.key(name), operation: "delete", name: name)
                guard response.isSuccess || response.status == 404 else { throw connection.error(response, operation: "delete", name: name) }
            } else {
                try Locking(store: self, connection: connection).deleteVersions(of: name)
            }
        }
    }

    // MARK: - Cancellation

    public func cancel() { cancelFlag.set() }

    public var isCancelled: Bool { cancelFlag.isSet }

    // MARK: - ObjectLocking

    public func retention(of name: String) throws -> ObjectRetention? {
        try validateStoredName(name)
        return try locked { connection in try Locking(store: self, connection: connection).retention(of: name, versionID: nil) }
    }

    @discardableResult
    public func extendRetention(of name: String, until: Date) throws -> ObjectRetention {
        try validateStoredName(name)
        return try locked { connection in try Locking(store: self, connection: connection).extend(name, until: until) }
    }

    public func bucketConfiguration() throws -> BucketConfiguration {
        try locked { connection in
            let configuration = try Locking(store: self, connection: connection).bucketConfiguration()
            versioningCache.withLock { $0 = configuration.versioning }
            return configuration
        }
    }

    // MARK: - Shared by the parts (lock held)

    /// Takes the lock and refuses work after `cancel()`.
    func locked<T: Sendable>(_ body: (S3Connection) throws -> T) throws -> T {
        try connection.withLock { connection in
            guard !cancelFlag.isSet else { throw StorageError.cancelled(location: location) }
            return try body(connection)
        }
    }

    /// The object's size from a HEAD, nil when there is none.
    func headSize(_ connection: S3Connection, _ name: String) throws -> Int64? {
        let response = try connection.send("HEAD", key: target.key(name), operation: "stat", name: name)
        if response.status == 404 { return nil }
        if response.status == 403 {
            // A HEAD's refusal has no body to say why: a one-byte GET tells refused credentials
            // from a missing permission.
            let probe = try connection.send("GET", key: target.key(name), headers: [("range", "bytes=0-0")], operation: "stat", name: name)
            if !probe.isSuccess && probe.status != 416 { throw connection.error(probe, operation: "stat", name: name) }
        }
        guard response.isSuccess else { throw connection.error(response, operation: "stat", name: name) }
        guard let text = response.headers["content-length"], let size = Int64(text), size >= 0 else {
            throw StorageError.remote(location: location, operation: "stat", name: name, code: 0, message: "no valid Content-Length")
        }
        return size
    }

    func abortUpload(_ connection: S3Connection, name: String, uploadID: String, honoursCancel: Bool = true) throws {
        let response = try connection.send(
            "DELETE", key: target.key(name), query: [("uploadId", uploadID)], operation: "abort upload", name: name,
            honoursCancel: honoursCancel)
        // 404 NoSuchUpload: already gone (aborted or completed meanwhile).
        guard response.isSuccess || response.status == 404 else { throw connection.error(response, operation: "abort upload", name: name) }
    }

    /// The bucket's versioning, asked once.
    func versioning(_ connection: S3Connection) throws -> BucketConfiguration.Versioning {
        if let known = versioningCache.withLock({ $0 }) { return known }
        let value = try Locking(store: self, connection: connection).versioning()
        versioningCache.withLock { $0 = value }
        return value
    }

    /// A name that may be written: valid, and not a `.partial` (those stand for uploads).
    private func validateFinalName(_ name: String) throws {
        try validateStoredName(name)
        guard !name.hasSuffix(partialSuffix) else { throw StorageError.invalidName(name) }
    }

    func parentFolder(_ name: String) -> String {
        name.lastIndex(of: "/").map { String(name[..<$0]) } ?? ""
    }
}
