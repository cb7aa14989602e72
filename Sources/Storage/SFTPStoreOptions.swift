extension SFTPStore {
    /// What `SFTPStore.init` checks: where, with which key, against which host key, and how
    /// long a transfer may stall.
    public struct Options: Sendable {
        /// The remote's name, used in messages.
        public var name: String
        /// The remote folder's `sftp://user@host:port/path`, parsed.
        public var endpoint: SFTPEndpoint
        /// The private key (ed25519); its public half is derived from it.
        public var identityFile: String
        /// An OpenSSH known_hosts file listing the server (`[host]:port` when port is not 22).
        public var knownHosts: String?
        /// The server key's pinned SHA-256 fingerprint.
        public var hostKey: HostKeyFingerprint?
        /// Seconds allowed for the TCP connect and the SSH handshake.
        public var connectTimeout: Int
        /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds fails.
        public var lowSpeedLimit: Int
        /// Bytes/s a whole transfer must average after its first `connectTimeout +
        /// lowSpeedTime` seconds (`TransferPace`): 32 KiB/s, a 1 GB artifact in 9 hours.
        public var minimumRate: Int = 32 << 10
        public var lowSpeedTime: Int
        /// Bytes per SFTP write round; SFTP throughput is about this size per round trip.
        /// libcurl's maximum (2 MiB) is the default.
        public var uploadBufferSize: Int
        /// Upload rate cap in bytes per second (libcurl's CURLOPT_MAX_SEND_SPEED_LARGE).
        public var bandwidthLimit: Int64?
        /// An add-only account (`internal-sftp -P remove,posix-rename,…`): every attempt writes
        /// a fresh `.partial` name (the server refuses to reopen a file), nothing is ever
        /// deleted or renamed over, and `delete` refuses. Another host prunes.
        public var appendOnly = false

        public init(
            name: String, endpoint: SFTPEndpoint, identityFile: String, knownHosts: String? = nil,
            hostKey: HostKeyFingerprint? = nil, connectTimeout: Int = 30, lowSpeedLimit: Int = 1024,
            lowSpeedTime: Int = 60, uploadBufferSize: Int = 2 << 20, bandwidthLimit: Int64? = nil
        ) {
            self.name = name
            self.endpoint = endpoint
            self.identityFile = identityFile
            self.knownHosts = knownHosts
            self.hostKey = hostKey
            self.connectTimeout = connectTimeout
            self.lowSpeedLimit = lowSpeedLimit
            self.lowSpeedTime = lowSpeedTime
            self.uploadBufferSize = uploadBufferSize
            self.bandwidthLimit = bandwidthLimit
        }
    }
}
