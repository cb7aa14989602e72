import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The in-memory reference implementation of `Store`, for tests: it keeps the whole contract
/// (atomic puts, names never replaced, `.partial` files listed apart, resumable `putFile`,
/// final cancellation) with no disk or network, so job tests run in milliseconds.
///
/// `putFile` resumes like SFTPStore: a `.partial` no larger than the local file is continued
/// from its size. Tests plant such leftovers with `plantPartial`, and make the next operation
/// fail with `failNext` (after some bytes, for transfers), to exercise retries and resumes.
public final class MemoryStore: CancellableStore {
    public enum Operation: Sendable, Equatable {
        case put, putFile, get, list, size, delete, partials
    }

    public let location: String

    private struct Fault {
        var operation: Operation
        var error: StorageError
        var afterBytes: Int64
    }

    private struct State {
        var files: [String: [UInt8]] = [:]
        var cancelled = false
        var faults: [Fault] = []
    }

    private let state = Mutex(State())
    /// Bytes per reader call and per writer piece.
    static let pieceSize = 1 << 20

    public init(location: String = "memory") {
        self.location = location
    }

    // MARK: - Test hooks

    /// Leaves `<name>.partial` holding `bytes`, as an interrupted upload would.
    public func plantPartial(_ name: String, _ bytes: [UInt8]) throws {
        try validateStoredName(name)
        state.withLock { $0.files[name + partialSuffix] = bytes }
    }

    /// The next `operation` throws `error`; a put, putFile or get does so after `afterBytes`
    /// bytes (a putFile keeps what it sent as its `.partial`).
    public func failNext(_ operation: Operation, with error: StorageError, afterBytes: Int64 = 0) {
        state.withLock { $0.faults.append(Fault(operation: operation, error: error, afterBytes: afterBytes)) }
    }

    /// Every stored name, `.partial` ones included, sorted.
    public var allNames: [String] { state.withLock { $0.files.keys.sorted() } }

    /// A file's bytes (a `.partial` too), nil when missing.
    public func contents(of name: String) -> [UInt8]? { state.withLock { $0.files[name] } }

    // MARK: - Store

    public func put(
        _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        try validateStoredName(name)
        let fault = try begin(.put)
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pieceSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            if let fault, Int64(bytes.count) >= fault.afterBytes { throw fault.error }
            let count = try reader(buffer)
            guard count >= 0, count <= buffer.count else { throw StorageError.sizeMismatch(location: location, name: name, expected: Int64(buffer.count), actual: Int64(count)) }
            if count == 0 { break }
            bytes += UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if let expectedSize, Int64(bytes.count) > expectedSize { break }
        }
        if let expectedSize, Int64(bytes.count) != expectedSize {
            throw StorageError.sizeMismatch(location: location, name: name, expected: expectedSize, actual: Int64(bytes.count))
        }
        try publish(name, bytes)
    }

    public func putFile(
        _ name: String, localPath: String, progress: ((_ sent: Int64, _ total: Int64) -> Void)?
    ) throws -> PutFileResult {
        try validateStoredName(name)
        let fault = try begin(.putFile)
        let file = try readLocalFile(localPath)
        let total = Int64(file.count)
        let partial = name + partialSuffix
        if state.withLock({ $0.files[name] != nil }) { throw StorageError.alreadyExists(location: location, name: name) }
        var stored = state.withLock { $0.files[partial] } ?? []
        if stored.count > file.count { stored = [] }  // not a prefix of this file: start over
        let resumedFrom = Int64(stored.count)
        var offset = stored.count
        while offset < file.count {
            if let fault, Int64(offset) >= fault.afterBytes {
                let kept = stored
                state.withLock { $0.files[partial] = kept }
                throw fault.error
            }
            let end = min(offset + Self.pieceSize, file.count)
            stored += file[offset..<end]
            offset = end
            progress?(Int64(offset), total)
        }
        state.withLock { $0.files[partial] = nil }
        try publish(name, stored)
        return PutFileResult(bytes: total, resumedFrom: resumedFrom)
    }

    public func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        try validateStoredName(name)
        let fault = try begin(.get)
        guard let bytes = state.withLock({ $0.files[name] }) else { throw StorageError.notFound(location: location, name: name) }
        var position = Int(clamping: max(offset, 0))
        while position < bytes.count {
            if let fault, Int64(position) - offset >= fault.afterBytes { throw fault.error }
            let end = min(position + Self.pieceSize, bytes.count)
            try bytes[position..<end].withUnsafeBytes { try writer($0) }
            position = end
        }
        if let fault { throw fault.error }
    }

    public func list(_ directory: String) throws -> [StoredObject] {
        try entries(directory, .list).filter { !$0.name.hasSuffix(partialSuffix) }
    }

    public func partials(_ directory: String) throws -> [StoredObject] {
        try entries(directory, .partials).filter { $0.name.hasSuffix(partialSuffix) }
    }

    public func size(of name: String) throws -> Int64? {
        try validateStoredName(name)
        if let fault = try begin(.size) { throw fault.error }
        return state.withLock { $0.files[name].map { Int64($0.count) } }
    }

    public func delete(_ name: String) throws {
        try validateStoredName(name)
        if let fault = try begin(.delete) { throw fault.error }
        state.withLock { _ = $0.files.removeValue(forKey: name) }
    }

    public func cancel() {
        state.withLock { $0.cancelled = true }
    }

    // MARK: - Helpers

    /// Refuses work after `cancel()`; takes the fault planned for `operation`, if any.
    private func begin(_ operation: Operation) throws -> Fault? {
        try state.withLock { state in
            guard !state.cancelled else { throw StorageError.cancelled(location: location) }
            guard let index = state.faults.firstIndex(where: { $0.operation == operation }) else { return nil }
            return state.faults.remove(at: index)
        }
    }

    private func publish(_ name: String, _ bytes: [UInt8]) throws {
        try state.withLock { state in
            guard !state.cancelled else { throw StorageError.cancelled(location: location) }
            guard state.files[name] == nil else { throw StorageError.alreadyExists(location: location, name: name) }
            state.files[name] = bytes
        }
    }

    private func entries(_ directory: String, _ operation: Operation) throws -> [StoredObject] {
        if !directory.isEmpty { try validateStoredName(directory) }
        if let fault = try begin(operation) { throw fault.error }
        let prefix = directory.isEmpty ? "" : directory + "/"
        return state.withLock { state in
            state.files.compactMap { name, bytes in
                guard name.hasPrefix(prefix), !name.dropFirst(prefix.count).contains("/") else { return nil }
                return StoredObject(name: name, size: Int64(bytes.count))
            }
        }.sorted { $0.name < $1.name }
    }

    private func readLocalFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(location: location, operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pieceSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw StorageError.io(location: location, operation: "read", path: path, errno: errno)
            }
            if count == 0 { return bytes }
            bytes += UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        }
    }
}
