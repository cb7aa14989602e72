import Foundation
import Storage

/// Values appended from any thread.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value] = []

    func append(_ value: Value) { lock.withLock { storage.append(value) } }
    var values: [Value] { lock.withLock { storage } }
}

/// Passes every call to a real store and counts the calls (attempts, under RetryingStore).
final class CountingStore: Store {
    let inner: any Store
    let calls = Recorder<String>()

    init(_ inner: any Store) { self.inner = inner }

    var location: String { inner.location }

    func put(_ name: String, expectedSize: Int64?, reader: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        calls.append("put")
        try inner.put(name, expectedSize: expectedSize, reader: reader)
    }

    func putFile(_ name: String, localPath: String, progress: ((Int64, Int64) -> Void)?) throws -> PutFileResult {
        calls.append("putFile")
        return try inner.putFile(name, localPath: localPath, progress: progress)
    }

    func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        calls.append("get")
        try inner.get(name, offset: offset, writer: writer)
    }

    func list(_ directory: String) throws -> [StoredObject] {
        calls.append("list")
        return try inner.list(directory)
    }

    func size(of name: String) throws -> Int64? {
        calls.append("size")
        return try inner.size(of: name)
    }

    func delete(_ name: String) throws {
        calls.append("delete")
        try inner.delete(name)
    }

    func partials(_ directory: String) throws -> [StoredObject] {
        calls.append("partials")
        return try inner.partials(directory)
    }
}
