import Foundation
import Storage
import XCTest

/// A store under test, made fresh for each case of the contract (an empty folder, prefix or
/// instance), with what the suite cannot do through the `Store` protocol itself.
public struct StoreSubject {
    public var store: any Store
    /// Leaves `<name>.partial` holding `bytes`, as an interrupted `putFile` would (a remote
    /// file, an in-progress multipart upload, ...).
    public var plantPartial: (_ name: String, _ bytes: [UInt8]) throws -> Void
    /// Whether `putFile` continues a planted partial (`resumedFrom` > 0) or starts over.
    public var resumesPartials: Bool
    /// A partial size the store can resume from (S3: whole parts).
    public var resumeUnit: Int
    /// Removes what the case left (called after it, failed or not).
    public var cleanup: () -> Void

    public init(
        store: any Store, plantPartial: @escaping (_ name: String, _ bytes: [UInt8]) throws -> Void,
        resumesPartials: Bool, resumeUnit: Int = 2_000_000, cleanup: @escaping () -> Void = {}
    ) {
        self.store = store
        self.plantPartial = plantPartial
        self.resumesPartials = resumesPartials
        self.resumeUnit = resumeUnit
        self.cleanup = cleanup
    }
}

/// The one contract every `Store` keeps (the doc comment on `protocol Store`), as a list of
/// cases run against each implementation: restic's `internal/backend/test` idea. A store's
/// test class calls `StoreContract.run` with a factory; each case gets a fresh subject and a
/// scratch folder for local files, and a failure names the store and the case.
public enum StoreContract {
    public struct Case: Sendable {
        public let name: String
        let body: @Sendable (StoreSubject, Check) throws -> Void
    }

    /// Runs every case (or those whose names contain `only`) against fresh subjects.
    public static func run(
        _ make: () throws -> StoreSubject, only: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) {
        for contractCase in cases where only.map({ contractCase.name.contains($0) }) ?? true {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString)").path
            do {
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
            } catch {
                XCTFail("scratch folder: \(error)", file: file, line: line)
                return
            }
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let subject: StoreSubject
            do {
                subject = try make()
            } catch {
                XCTFail("\(contractCase.name): making the store failed: \(error)", file: file, line: line)
                continue
            }
            defer { subject.cleanup() }
            let check = Check(label: "[\(subject.store.location)] \(contractCase.name)", scratch: scratch)
            let started = Date()
            do {
                try contractCase.body(subject, check)
            } catch {
                XCTFail("\(check.label): unexpected error: \(error)", file: file, line: line)
            }
            print("contract \(check.label): \(check.failures == 0 ? "ok" : "FAILED") (\(String(format: "%.2f", Date().timeIntervalSince(started))) s)")
        }
    }
}

/// Assertions that name the store and the case, and local files for `putFile`.
public final class Check {
    public let label: String
    public let scratch: String
    private(set) var failures = 0

    init(label: String, scratch: String) {
        self.label = label
        self.scratch = scratch
    }

    func fail(_ message: String, file: StaticString = #filePath, line: UInt = #line) {
        failures += 1
        XCTFail("\(label): \(message)", file: file, line: line)
    }

    func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if actual != expected { fail("\(what): got \(actual), expected \(expected)", file: file, line: line) }
    }

    /// Large byte arrays: no dump of the contents on failure.
    func sameBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if actual != expected { fail("\(what): \(actual.count) bytes differ from the \(expected.count) expected", file: file, line: line) }
    }

    /// `body` must throw; `matches` judges the error.
    func fails(
        _ what: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void,
        _ matches: (any Error) -> Bool
    ) {
        do {
            try body()
            fail("\(what): no error", file: file, line: line)
        } catch {
            if !matches(error) { fail("\(what): unexpected error \(error)", file: file, line: line) }
        }
    }

    /// `body` must throw exactly `expected`.
    func fails(
        _ what: String, with expected: StorageError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        fails(what, file: file, line: line, body) { ($0 as? StorageError) == expected }
    }

    /// A local file of `bytes` in the scratch folder.
    func localFile(_ bytes: [UInt8], name: String = "local.bin") throws -> String {
        let path = scratch + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Random bytes (not compressible, so no layer can shortcut them).
public func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { buffer in
        let words = buffer.bindMemory(to: UInt64.self)
        for index in words.indices { words[index] = generator.next() }
    }
    for index in (count / 8 * 8)..<count { bytes[index] = generator.next() }
    return bytes
}

extension Store {
    /// The whole file, collected from `get` (from `offset`).
    func all(_ name: String, offset: Int64 = 0) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try get(name, offset: offset) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// A put fed in pieces of `piece` bytes, with or without the size.
    func put(_ name: String, bytes: [UInt8], piece: Int, announceSize: Bool) throws {
        var offset = 0
        try put(name, expectedSize: announceSize ? Int64(bytes.count) : nil) { buffer in
            let count = min(buffer.count, piece, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
    }
}
