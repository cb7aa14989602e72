import Foundation

/// Snapshots a remote still lacks: one empty marker file per (remote, snapshot) under
/// `<state_dir>/pending/<remote>/`. Marked before an upload starts and cleared only after the
/// remote manifest is in place, so a crash or a failed upload is never forgotten.
public struct PendingUploads {
    public let state: StateDirectory

    public init(state: StateDirectory) {
        self.state = state
    }

    private func folder(_ remote: String) -> String { state.pendingFolder(remote: remote) }

    public func mark(_ id: String, remote: String) throws {
        try makePrivateDirectory(folder(remote))
        let path = folder(remote) + "/" + id
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw RespaldoError.failed("cannot record pending upload \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        // The marker must survive a power cut that the snapshot it stands for survives.
        let folderFD = open(folder(remote), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
        }
    }

    public func clear(_ id: String, remote: String) {
        unlink(folder(remote) + "/" + id)
    }

    /// Pending snapshot ids for `remote`, optionally of one job, oldest first.
    public func ids(remote: String, job: String? = nil) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder(remote))) ?? []
        return names.filter { name in
            guard let id = SnapshotID(name) else { return false }
            return job == nil || id.job == job
        }.sorted()
    }
}
