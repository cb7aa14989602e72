import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real OpenSSH sshd on 127.0.0.1 for one test: its own host key, key-only authentication,
/// one authorized client key, the internal SFTP server. Everything lives in a private temporary
/// folder; `stop()` kills sshd and every process it started, by PID.
public final class SSHServer: @unchecked Sendable {
    public static let sshd = "/usr/sbin/sshd"

    public let directory: String
    public let port: Int
    public let user: String
    /// The client's private key (authorized) and a second, unauthorized one.
    public let clientKey: String
    public let strangerKey: String
    /// A known_hosts file with the server's real key, one with a different key for the same
    /// host, and the real key's SHA-256 fingerprint (base64, no `SHA256:`).
    public let knownHosts: String
    public let wrongKnownHosts: String
    public let hostKeySHA256: String
    /// A folder served to the client: the tests' remote root, readable here directly.
    public let remoteRoot: String

    /// sshd's PID while it runs.
    private var pid: pid_t?
    private let log: String

    /// The add-only account of the README's recipe, when asked for: a real unprivileged user
    /// (created once, `respaldo-addonly`) whose sessions are forced into
    /// `internal-sftp -u 0222 -P remove,…`, its key, and its folder under `remoteRoot`.
    public private(set) var addOnly: (user: String, key: String, folder: String)?
    public static let addOnlyUser = "respaldo-addonly"
    public static let addOnlyRestrictions = "remove,rmdir,posix-rename,setstat,fsetstat,lsetstat,symlink,hardlink,copy-data"

    public convenience init() throws {
        try self.init(addOnlyAccount: false)
    }

    public init(addOnlyAccount: Bool) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.sshd) else {
            throw FixtureError("\(Self.sshd) is missing: install openssh-server (apt-get install openssh-server)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sshd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        user = String(cString: getpwuid(getuid()).pointee.pw_name)
        port = try Self.unusedPort()
        log = directory + "/sshd.log"
        remoteRoot = directory + "/remote"
        try FileManager.default.createDirectory(atPath: remoteRoot, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])

        for key in ["host", "other-host", "client", "stranger"] {
            try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", directory + "/" + key])
        }
        clientKey = directory + "/client"
        strangerKey = directory + "/stranger"
        try FileManager.default.copyItem(atPath: directory + "/client.pub", toPath: directory + "/authorized_keys.\(user)")
        var allowed = user
        var match = ""
        if addOnlyAccount {
            let name = Self.addOnlyUser
            if getpwnam(name) == nil {
                _ = try Self.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name])
            }
            // useradd leaves the password field "!" (locked), which sshd without PAM refuses
            // even for key logins; "*" is no password, not a locked account.
            _ = try Self.run("/usr/sbin/usermod", ["-p", "*", name])
            guard let entry = getpwnam(name) else { throw FixtureError("user \(name) could not be created") }
            let (uid, gid) = (entry.pointee.pw_uid, entry.pointee.pw_gid)
            try Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "addonly", "-f", directory + "/addonly"])
            // sshd reads a user's authorized keys as that user; the folders on the way need x.
            try FileManager.default.copyItem(atPath: directory + "/addonly.pub", toPath: directory + "/authorized_keys.\(name)")
            chown(directory + "/authorized_keys.\(name)", uid, gid)
            chmod(directory, 0o711)
            chmod(remoteRoot, 0o711)
            // The recipe creates the job folders in advance: folders made over SFTP under
            // `-u 0222` come out unusable.
            let folder = remoteRoot + "/addonly"
            for path in [folder, folder + "/db", folder + "/web"] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
                chown(path, uid, gid)
            }
            addOnly = (name, directory + "/addonly", folder)
            allowed += " " + name
            match = """
                Match User \(name)
                    ForceCommand internal-sftp -u 0222 -P \(Self.addOnlyRestrictions)
                    AllowTcpForwarding no
                    X11Forwarding no

                """
        }

        let (folder, port) = (directory, port)
        func knownHostsLine(_ pub: String) throws -> String {
            let fields = try String(contentsOfFile: folder + "/" + pub, encoding: .utf8).split(separator: " ")
            return "[127.0.0.1]:\(port) \(fields[0]) \(fields[1])\n"
        }
        knownHosts = directory + "/known_hosts"
        try knownHostsLine("host.pub").write(toFile: knownHosts, atomically: true, encoding: .utf8)
        wrongKnownHosts = directory + "/wrong_known_hosts"
        try knownHostsLine("other-host.pub").write(toFile: wrongKnownHosts, atomically: true, encoding: .utf8)
        // "256 SHA256:<base64> host (ED25519)"
        let fingerprint = try Self.run("/usr/bin/ssh-keygen", ["-lf", directory + "/host.pub"])
        guard let field = fingerprint.split(separator: " ").first(where: { $0.hasPrefix("SHA256:") }) else {
            throw FixtureError("unexpected ssh-keygen -lf output: \(fingerprint)")
        }
        hostKeySHA256 = String(field.dropFirst("SHA256:".count))

        let config = """
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(directory)/host
            AuthorizedKeysFile \(directory)/authorized_keys.%u
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            UsePAM no
            StrictModes no
            PidFile \(directory)/sshd.pid
            Subsystem sftp internal-sftp
            AllowUsers \(allowed)
            PermitRootLogin prohibit-password
            \(match)
            """
        try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        // sshd's privilege separation folder.
        if !FileManager.default.fileExists(atPath: "/run/sshd") {
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        }
        try start()
    }

    /// The store URL of the remote root.
    public var url: String { "sftp://\(user)@127.0.0.1:\(port)\(remoteRoot)" }

    /// The add-only account's store URL (its folder under the remote root).
    public var addOnlyURL: String? { addOnly.map { "sftp://\($0.user)@127.0.0.1:\(port)\($0.folder)" } }

    /// Starts sshd (again: same port and keys) and waits until it accepts connections.
    ///
    /// sshd is started with posix_spawn and reaped with waitpid by its PID, not with
    /// Foundation's Process: Process takes the closing of a socket it passes to the child as
    /// the child's exit, and sshd closes every inherited descriptor at startup, which left
    /// Process's monitor thread blocked in waitpid on the live sshd (and every later Process
    /// waiting forever).
    public func start() throws {
        precondition(pid == nil, "sshd already running")
        let arguments = [Self.sshd, "-D", "-e", "-f", directory + "/sshd_config"]  // sshd wants an absolute path
        let child = try Spawn.start(arguments, log: log)
        pid = child
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Spawn.exited(child) {
                pid = nil
                throw FixtureError("sshd exited: \(logText)")
            }
            if Spawn.accepts(port) { return }
            usleep(20_000)
        }
        stop()
        throw FixtureError("sshd did not accept connections on port \(port) within 10 s: \(logText)")
    }

    /// Kills sshd and its per-connection processes (SIGKILL, by PID): connections drop at once,
    /// as when a server dies. Returns when they are gone.
    public func stop() {
        guard let pid else { return }
        let victims = Self.descendants(of: pid)
        kill(pid, SIGKILL)
        for victim in victims { kill(victim, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        self.pid = nil
        // The connection processes were sshd's children (now init's): wait until they are gone.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, victims.contains(where: { kill($0, 0) == 0 && !Self.isZombie($0) }) {
            usleep(10_000)
        }
    }

    /// Stops sshd and removes the folder.
    public func tearDown() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    // MARK: - Helpers

    /// Runs a tool to completion; its stdout, or an error with its stderr.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("\(tool) \(arguments.joined(separator: " ")) failed: \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    public static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw FixtureError("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Every process below `root`, from /proc's parent links.
    private static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let parent = parentPID(pid) else { continue }
            children[parent, default: []].append(pid)
        }
        var result: [pid_t] = []
        var queue = [root]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                result.append(child)
                queue.append(child)
            }
        }
        return result
    }

    /// Fields of /proc/PID/stat after the command name (which may contain spaces).
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    private static func parentPID(_ pid: pid_t) -> pid_t? {
        statFields(pid).flatMap { $0.count > 1 ? pid_t($0[1]) : nil }
    }

    private static func isZombie(_ pid: pid_t) -> Bool {
        statFields(pid)?.first == "Z"
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
