import Foundation
import TestFixtures
import Storage
import XCTest

/// SFTPStore's host-key check (known_hosts or a pinned fingerprint, never skipped) and its
/// public-key authentication, against a real sshd.
final class SFTPHostKeyTests: SFTPTestCase {
    func testPinnedHostKeyWorks() throws {
        let store = try makeStore(hostKeySHA256: "SHA256:" + server.hostKeySHA256)
        try store.put("job/p", bytes: [1])
        XCTAssertEqual(try store.list("job").map(\.name), ["job/p"])
    }

    func testWrongKnownHostsKeyIsRefused() throws {
        let store = try makeStore(knownHosts: server.wrongKnownHosts)
        assertHostKeyError { try store.put("job/a", bytes: [1, 2, 3]) }
        XCTAssertEqual(try remoteFiles(), [], "nothing uploaded")
    }

    func testHostMissingFromKnownHostsIsRefused() throws {
        let empty = server.directory + "/empty_known_hosts"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        let store = try makeStore(knownHosts: empty)
        assertHostKeyError(mentioning: "has no key") { _ = try store.list("") }
    }

    func testWrongPinnedFingerprintIsRefused() throws {
        var wrong = Array(server.hostKeySHA256)
        wrong[10] = wrong[10] == "A" ? "B" : "A"
        let store = try makeStore(hostKeySHA256: String(wrong))
        assertHostKeyError { try store.put("job/a", bytes: [1, 2, 3]) }
        XCTAssertEqual(try remoteFiles(), [], "nothing uploaded")
    }

    func testHostKeyCheckCannotBeSkipped() throws {
        let base = SFTPStore.Options(name: "geo", endpoint: try SFTPEndpoint(server.url), identityFile: server.clientKey)
        XCTAssertThrowsError(try SFTPStore(options: base)) { error in
            XCTAssertTrue("\(error)".contains("known_hosts"), "\(error)")
        }
        var both = base
        both.knownHosts = server.knownHosts
        both.hostKey = try HostKeyFingerprint(server.hostKeySHA256)
        XCTAssertThrowsError(try SFTPStore(options: both))
        // A pin or a URL the store could not use is no Options value at all: refused where it
        // is parsed (SFTPEndpointTests has the rules).
        XCTAssertThrowsError(try HostKeyFingerprint("not-a-fingerprint"))
        XCTAssertThrowsError(try SFTPEndpoint("sftp://127.0.0.1/x"), "no user")
    }

    func testUnauthorizedKeyIsAPermanentAuthenticationError() throws {
        let store = try makeStore(identity: server.strangerKey)
        XCTAssertThrowsError(try store.put("job/a", bytes: [1])) { error in
            guard let error = error as? StorageError else { return XCTFail("\(error)") }
            XCTAssertEqual(error, .authentication(location: "geo", host: "127.0.0.1:\(server.port)"))
            XCTAssertTrue(error.isPermanent)
        }
        XCTAssertEqual(try remoteFiles(), [])
    }

    func testCheckConnectionReportsTheHostKeyAndLeavesNothing() throws {
        let info = try makeStore().checkConnection()
        let pub = try String(contentsOfFile: server.directory + "/host.pub", encoding: .utf8).split(separator: " ")
        XCTAssertEqual(info.hostKeyType, "ssh-ed25519")
        XCTAssertEqual(info.hostKeyBase64, String(pub[1]))
        XCTAssertEqual(info.host, "127.0.0.1:\(server.port)")
        XCTAssertEqual(info.folder, server.remoteRoot)
        XCTAssertEqual(try remoteFiles(), [], "the probe file is removed")

        let pinned = try makeStore(hostKeySHA256: server.hostKeySHA256).checkConnection()
        XCTAssertEqual(pinned.pinnedSHA256, server.hostKeySHA256)
        XCTAssertNil(pinned.hostKeyBase64)
    }
}
