import Curl

// MARK: - Connection check (check-config --connect)

extension SFTPStore {
    /// What `checkConnection` found.
    public struct ConnectionInfo: Sendable, Equatable {
        /// `host:port`.
        public var host: String
        /// With known_hosts: the server's key type (`ssh-ed25519`) and key blob in base64, as a
        /// known_hosts line has them. Its fingerprint, as `ssh-keygen -lf` shows it, is
        /// `SHA256:` + the unpadded base64 of SHA-256 over the decoded blob.
        public var hostKeyType: String?
        public var hostKeyBase64: String?
        /// With a pinned fingerprint: the fingerprint the server's key matched (libcurl checks
        /// it itself and does not show the key).
        public var pinnedSHA256: String?
        /// The remote folder in which a probe file was written and removed.
        public var folder: String
    }

    /// Connects afresh (so the host key is checked and seen), then writes and removes a probe
    /// file in the remote folder (creating the folder if needed) to prove it is writable.
    public func checkConnection() throws -> ConnectionInfo {
        try locked { easy in
            let transfer = try run(
                easy, url: endpoint.folderURL(""), operation: "connect", name: "", metadata: true, fresh: true
            ) { easy, _ in
                try easy.set(.noBody(true))
            }
            if options.appendOnly {
                // An add-only account may not delete a probe: reading the folder proves the
                // login, the host key and the path; uploads prove the rest.
                _ = try entriesLocked(easy, "")
                return ConnectionInfo(
                    host: endpoint.display, hostKeyType: transfer.hostKey?.displayType, hostKeyBase64: transfer.hostKey?.base64,
                    pinnedSHA256: pinnedSHA256, folder: endpoint.path(""))
            }
            let probe = ".respaldo-check-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let bytes = Array("respaldo write check\n".utf8)
            var offset = 0
            try putLocked(easy, probe, expectedSize: Int64(bytes.count)) { buffer in
                let count = min(buffer.count, bytes.count - offset)
                bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
                }
                offset += count
                return count
            }
            try deleteLocked(easy, probe)
            return ConnectionInfo(
                host: endpoint.display,
                hostKeyType: transfer.hostKey?.displayType,
                hostKeyBase64: transfer.hostKey?.base64,
                pinnedSHA256: pinnedSHA256,
                folder: endpoint.path(""))
        }
    }
}
