/// One stored file, as a listing reports it.
public struct StoredObject: Sendable, Equatable {
    /// Path relative to the store's root, `/`-separated (e.g. `crm/crm-20261121T070000Z.sql.gz`).
    public var name: String
    public var size: Int64

    public init(name: String, size: Int64) {
        self.name = name
        self.size = size
    }
}

/// What `putFile` did.
public struct PutFileResult: Sendable, Equatable {
    /// The size of the stored file (the local file's size).
    public var bytes: Int64
    /// Where the upload started: the size of a `.partial` left by an interrupted upload that
    /// was continued, or 0.
    public var resumedFrom: Int64

    public init(bytes: Int64, resumedFrom: Int64) {
        self.bytes = bytes
        self.resumedFrom = resumedFrom
    }
}

/// A place that holds snapshot files: the local backup folder or a remote host.
///
/// The contract every implementation keeps (restic's backend interface is the model):
/// - `put` is atomic: bytes go to `<name>.partial`; only a complete, flushed file is renamed to
///   `name`. On any error the temporary file is removed and `name` is untouched. A failing
///   `reader` aborts the put.
/// - `get` streams; it never holds the whole file. The `writer` may throw to stop it.
/// - `putFile` is atomic too, but resumable: when it fails, a remote store keeps the
///   `.partial`, and the next `putFile` of the same name continues it from its size, then
///   checks the complete size before the rename.
/// - `list` never reports `.partial` files; callers decide what a complete snapshot is.
/// - Names are relative, `/`-separated, and never contain `..`, control characters or `\\`.
/// - A final name is never replaced: a put or putFile onto an existing name fails with
///   `StorageError.alreadyExists` and leaves it as it is.
/// - Implementations are used from one thread at a time per call, but calls may come from
///   different threads.
public protocol Store: AnyObject, Sendable {
    /// "local", or a remote's name: used in messages and listings.
    var location: String { get }

    /// Atomically stores `name` from `reader`, which fills the buffer it is given and returns
    /// the byte count, 0 at the end. With `expectedSize`, a different total is an error.
    func put(
        _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws

    /// Streams `name` from byte `offset` to `writer`, in pieces of bounded size.
    func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws

    /// The complete files directly inside `directory` ("" for the root).
    func list(_ directory: String) throws -> [StoredObject]

    /// The file's size, or nil when it does not exist.
    func size(of name: String) throws -> Int64?

    /// Removes `name`; removing a missing file is not an error.
    func delete(_ name: String) throws

    /// Temporary files (`.partial`) directly inside `directory`, left by interrupted writes.
    func partials(_ directory: String) throws -> [StoredObject]

    /// Atomically stores the local file at `localPath` as `name`. If `<name>.partial` exists and
    /// is not larger than the local file, an implementation that can (SFTPStore) continues it
    /// instead of starting over, and keeps it when the upload fails so that the next call
    /// resumes. The stored size is checked against the local file's before the rename.
    /// `progress`, if given, receives the bytes of the file sent so far (counting the resumed
    /// part) and the total, on the calling thread.
    func putFile(
        _ name: String, localPath: String, progress: ((_ sent: Int64, _ total: Int64) -> Void)?
    ) throws -> PutFileResult

    /// This store without retries (itself, for a store that has none): for a question that
    /// must not wait through a remote's retry delays.
    var singleAttempt: any Store { get }
}

/// A store whose transfers can be aborted from another thread.
public protocol CancellableStore: Store {
    /// Aborts the transfer in progress (its call throws `StorageError.cancelled`) and makes
    /// every later call throw it too: cancellation is final, as for a cancelled task.
    func cancel()
}

extension Store {
    public var singleAttempt: any Store { self }

    public func putFile(_ name: String, localPath: String) throws -> PutFileResult {
        try putFile(name, localPath: localPath, progress: nil)
    }

    public func get(_ name: String, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        try get(name, offset: 0, writer: writer)
    }

    /// Stores a small in-memory file (a manifest) atomically.
    public func put(_ name: String, bytes: [UInt8]) throws {
        var offset = 0
        try put(name, expectedSize: Int64(bytes.count)) { buffer in
            let count = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            offset += count
            return count
        }
    }

    /// Reads a small file (a manifest) whole; refuses one larger than `limit`.
    public func read(_ name: String, limit: Int = 1 << 20) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try get(name) { piece in
            guard bytes.count + piece.count <= limit else {
                throw StorageError.tooLarge(location: location, name: name, limit: limit)
            }
            bytes.append(contentsOf: piece)
        }
        return bytes
    }
}

/// The suffix of every temporary name (DESIGN.md: "Temporary names end in `.partial`").
public let partialSuffix = ".partial"

/// Checks a stored name against the contract every store keeps: relative, `/`-separated, no
/// `.`, `..` or empty parts, no control characters (SFTP's QUOTE commands cannot carry them)
/// and no backslash (SeaweedFS, like Windows-backed servers, reads it as a separator).
func validateStoredName(_ name: String) throws {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    guard !name.isEmpty, !name.hasPrefix("/"),
          !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
          !name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\\") })
    else {
        throw StorageError.invalidName(name)
    }
}
