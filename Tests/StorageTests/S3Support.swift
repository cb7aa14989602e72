import Foundation
@testable import Storage
import StoreContract
import TestFixtures

#if canImport(Glibc)
import Glibc
#endif

/// One SeaweedFS server shared by a test class's tests (started on first use, stopped by the
/// class's tearDown), with a plain bucket and one created with Object Lock.
final class SharedSeaweed: @unchecked Sendable {
    private let lock = NSLock()
    private var server: SeaweedServer?
    private let tls: Bool

    init(tls: Bool = false) { self.tls = tls }

    func get() throws -> SeaweedServer {
        try lock.withLock {
            if let server { return server }
            let started = try SeaweedServer(tls: tls)
            try started.createBucket("plain")
            try started.createBucket("locking", objectLock: true)
            server = started
            return started
        }
    }

    func stop() {
        lock.withLock {
            server?.tearDown()
            server = nil
        }
    }
}

extension SeaweedServer {
    /// Store options for `bucket` under `prefix`, with the test part size (S3's minimum).
    func options(
        bucket: String, prefix: String = "", secret: String? = nil, lock: ObjectLockPolicy? = nil, https: Bool = false
    ) -> S3Store.Options {
        S3Store.Options(
            name: "vault", url: "s3://\(bucket)/\(prefix)", endpoint: https ? httpsEndpoint! : endpoint, region: region,
            credentials: S3Credentials(accessKeyID: accessKeyID, secretAccessKey: secret ?? secretAccessKey),
            caFile: https ? caFile : nil, objectLock: lock, partSize: S3Store.minPartSize,
            connectTimeout: 5, lowSpeedLimit: 1024, lowSpeedTime: 10)
    }

    /// A contract subject: a fresh prefix of `bucket`.
    func contractSubject(bucket: String, https: Bool = false) throws -> StoreSubject {
        let store = try S3Store(options: options(bucket: bucket, prefix: "case-\(UUID().uuidString)", https: https))
        return StoreSubject(
            store: store, plantPartial: { try plantUpload(store, $0, $1) }, resumesPartials: true, resumeUnit: S3Store.minPartSize)
    }
}

/// Leaves an in-progress multipart upload of `name` holding `bytes` (in parts of the store's
/// part size), as an interrupted `putFile` would.
func plantUpload(_ store: S3Store, _ name: String, _ bytes: [UInt8]) throws {
    try store.locked { connection in
        let uploader = Uploader(store: store, connection: connection, name: name)
        let id = try uploader.createUpload()
        var offset = 0
        var number = 1
        repeat {
            let end = min(offset + store.options.partSize, bytes.count)
            _ = try bytes[offset..<end].withUnsafeBytes { try uploader.uploadPart(id, number, $0) }
            offset = end
            number += 1
        } while offset < bytes.count
    }
}

/// A local file of `count` random bytes, written in 1 MiB pieces.
func writeRandomFile(_ path: String, count: Int) throws {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var remaining = count
    while remaining > 0 {
        let piece = min(remaining, 1 << 20)
        try handle.write(contentsOf: Data(randomBytes(piece)))
        remaining -= piece
    }
}

func sha256sum(_ path: String) throws -> String {
    String(try SSHServer.run("/usr/bin/sha256sum", [path]).prefix(64))
}
