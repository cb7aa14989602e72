import Storage

/// An SFTP `[[remotes]]` entry (S3RemoteConfig.swift has the S3 one). The URL and the pinned
/// host key are read by Storage's own types, the rule SFTPStore relies on.
extension ConfigParser {
    func parseRemote(_ s: ConfigSection) throws -> RemoteConfig {
        if (try? s.string("url"))??.lowercased().hasPrefix("s3://") == true { return try parseS3Remote(s) }
        try s.checkKeys(["name", "url", "identity_file", "known_hosts", "host_key_sha256", "retries", "retry_delay", "append_only", "bandwidth_limit"])
        let name = try s.requiredString("name")
        attempt(()) {
            guard ConfigParser.isName(name, allowDots: true) else {
                throw s.error(
                    .invalidValue, "name", "\"\(name)\" is not a valid remote name: use letters, digits, '.', '_' and '-'")
            }
        }
        var url = ""
        let endpoint = attempt(nil) { () -> SFTPEndpoint? in
            url = try s.requiredString("url")
            do throws(SFTPEndpointError) {
                return try SFTPEndpoint(url)
            } catch {
                throw s.error(.invalidValue, "url", error.description)
            }
        }
        let identityFile = attempt("") { () -> String in
            let identityFile = try s.requiredAbsolutePath("identity_file")
            try s.checkFile("identity_file", identityFile, what: "identity file (SSH private key)", private: true)
            return identityFile
        }
        let knownHosts = attempt(nil) { try s.absolutePath("known_hosts") }
        let hostKey = attempt(nil) { () -> HostKeyFingerprint? in
            let hostKey = try s.string("host_key_sha256")
            switch (knownHosts, hostKey) {
            case (nil, nil):
                if s.has("known_hosts") { return nil }  // its own problem is reported
                throw s.error(
                    .missingKey, nil,
                    "known_hosts or host_key_sha256: one is required, there is no way to turn host-key checking off")
            case (.some, .some):
                throw s.error(
                    .invalidValue, s.laterKey("known_hosts", "host_key_sha256"),
                    "known_hosts and host_key_sha256 are both set: keep exactly one")
            case (.some(let knownHosts), nil):
                try s.checkFile("known_hosts", knownHosts, what: "known_hosts file", private: false)
                return nil
            case (nil, .some(let pinned)):
                do throws(HostKeyFingerprintError) {
                    return try HostKeyFingerprint(pinned)
                } catch {
                    throw s.error(.invalidValue, "host_key_sha256", error.description)
                }
            }
        }
        let retries = attempt(nil) { try s.int("retries", min: 0) } ?? 4
        let retryDelay = attempt(nil) { try s.number("retry_delay", min: 0) } ?? 5
        var remote = RemoteConfig(name: name, url: url, retries: retries, retryDelay: retryDelay)
        remote.endpoint = endpoint
        remote.identityFile = identityFile
        remote.knownHosts = knownHosts
        remote.hostKey = hostKey
        remote.appendOnly = attempt(nil) { try s.bool("append_only") } ?? false
        remote.bandwidthLimit = attempt(nil) { try bandwidthLimit(s) }
        return remote
    }
}
