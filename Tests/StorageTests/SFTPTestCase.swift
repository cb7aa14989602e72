import Foundation
import TestFixtures
import Storage
import StoreContract
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The real OpenSSH sshd on 127.0.0.1 (see SSHServer) that the SFTP test classes share, a
/// fresh one per test, and their helpers. Every curl timeout is a few seconds, so that no
/// test can hang.
class SFTPTestCase: XCTestCase {
    var server: SSHServer!

    override func setUpWithError() throws {
        server = try SSHServer()
    }

    override func tearDownWithError() throws {
        server?.tearDown()
    }

    func makeStore(
        knownHosts: String? = nil, hostKeySHA256: String? = nil, identity: String? = nil
    ) throws -> SFTPStore {
        try SFTPStore(options: SFTPStore.Options(
            name: "geo", endpoint: try SFTPEndpoint(server.url), identityFile: identity ?? server.clientKey,
            knownHosts: hostKeySHA256 == nil ? knownHosts ?? server.knownHosts : nil,
            hostKey: try hostKeySHA256.map { try HostKeyFingerprint($0) }, connectTimeout: 5, lowSpeedLimit: 1024, lowSpeedTime: 5))
    }

    func assertHostKeyError(
        mentioning detail: String? = nil, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? StorageError, case .hostKey = error else {
                return XCTFail("not a host key error: \(error)", file: file, line: line)
            }
            let text = error.description
            XCTAssertTrue(text.contains("host key") && text.contains("127.0.0.1"), text, file: file, line: line)
            if let detail { XCTAssertTrue(text.contains(detail), text, file: file, line: line) }
            XCTAssertTrue(error.isPermanent, file: file, line: line)
        }
    }

    /// Everything under the remote root, relative paths, sorted.
    func remoteFiles() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: server.remoteRoot).sorted()
    }

    func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    /// A local file of random bytes in the server's folder (outside the remote root).
    func localFile(bytes count: Int) throws -> String {
        let path = server.directory + "/local-\(count).bin"
        try Data(randomBytes(count)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func sha256(_ path: String) throws -> String {
        String(try SSHServer.run("/usr/bin/sha256sum", [path]).prefix(64))
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
