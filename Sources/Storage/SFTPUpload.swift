import Curl

// MARK: - Uploads and publishing (lock held)

extension SFTPStore {
    func putLocked(
        _ easy: CurlEasy, _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        let partial = partialName(for: name)
        var sent: Int64 = 0
        var started = false
        // Only a known-size source is paced: a streamed one (the dump itself) sets its own pace.
        let pace = expectedSize == nil ? nil : self.pace()
        do {
            // libcurl does not enforce CURLOPT_INFILESIZE for SFTP: a short stream would be
            // uploaded and published short. The reader wrapper stops at a wrong size instead.
            try upload(easy, partial, size: expectedSize, resumeFrom: 0, seek: nil) { buffer in
                started = true
                let limit = expectedSize.map { Int(min(Int64(buffer.count), max($0 - sent, 0) + 1)) } ?? buffer.count
                let count = try reader(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<limit]))
                sent += Int64(count)
                try pace?.check(bytes: sent, location: location, operation: "upload", name: name)
                if let expectedSize, count == 0 ? sent != expectedSize : sent > expectedSize {
                    throw StorageError.sizeMismatch(location: location, name: name, expected: expectedSize, actual: sent)
                }
                return count
            }
            try publish(easy, partial: partial, final: name, size: sent)
        } catch {
            // libcurl creates the remote file just before the first read: a failure before that
            // (connect, host key, authentication, folder creation) left nothing to remove.
            if started && !options.appendOnly { removeQuietly(easy, partial) }
            throw error
        }
    }

    /// Uploads to `name` from `reader`, creating missing folders (0700) and the file (0600).
    /// With `resumeFrom` > 0 the remote file is appended to, after `seek` moved the source.
    func upload(
        _ easy: CurlEasy, _ name: String, size: Int64?, resumeFrom: Int64, seek: ((Int64) -> Bool)?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        try withoutActuallyEscaping(reader) { reader in
            _ = try run(easy, url: endpoint.url(name), operation: "upload", name: name) { easy, transfer in
                transfer.reader = reader
                transfer.seeker = seek
                try easy.set([
                    .upload(true),
                    .createMissingDirectories(true),
                    .newDirectoryPermissions(0o700),
                    .newFilePermissions(0o600),
                    .uploadBufferSize(min(max(options.uploadBufferSize, 16 << 10), 2 << 20)),
                ])
                if let size { try easy.set(.uploadSize(size)) }
                if let limit = options.bandwidthLimit, limit > 0 { try easy.set(.maxSendSpeed(limit)) }
                if resumeFrom > 0 { try easy.set(.resumeFrom(resumeFrom)) }
            }
        }
    }

    /// Checks that `partial` holds `size` bytes, then renames it to `final`, which must not
    /// exist (the `.partial` is then removed: it can never be published), and checks the
    /// published size.
    func publish(_ easy: CurlEasy, partial: String, final: String, size: Int64) throws {
        guard let stored = try remoteSize(easy, partial) else {
            throw StorageError.notFound(location: location, name: partial)
        }
        guard stored == size else {
            throw StorageError.sizeMismatch(location: location, name: final, expected: size, actual: stored)
        }
        // A final name is never replaced (another host's snapshot under the same id, a file an
        // attacker prepared): OpenSSH's SFTP rename refuses an existing target, and a target
        // seen first is refused here with a clear error.
        if try remoteSize(easy, final) != nil {
            removeQuietly(easy, partial)  // it can never be published
            throw StorageError.alreadyExists(location: location, name: final)
        }
        let commands = ["rename \(endpoint.quoted(partial)) \(endpoint.quoted(final))"]
        // The URL is the final name: after the QUOTE commands, NOBODY makes libcurl stat it,
        // which double-checks the rename.
        do {
            try run(easy, url: endpoint.url(final), operation: "rename", name: final, metadata: true) { easy, _ in
                try easy.set([.noBody(true), .quote(commands)])
            }
        } catch {
            if (try? remoteSize(easy, final)) != nil {
                removeQuietly(easy, partial)
                throw StorageError.alreadyExists(location: location, name: final)
            }
            throw error
        }
        if let published = easy.downloadContentLength, published != size {
            throw StorageError.sizeMismatch(location: location, name: final, expected: size, actual: published)
        }
    }

    /// Best effort removal of a temporary file after a failure, even after `cancel()`, within a
    /// few seconds at most.
    func removeQuietly(_ easy: CurlEasy, _ name: String) {
        _ = try? run(
            easy, url: endpoint.folderURL(""), operation: "remove", name: name, metadata: true,
            honoursCancel: false
        ) { easy, _ in
            try easy.set([
                .noBody(true), .quote(["*rm \(endpoint.quoted(name))"]), .timeout(seconds: min(options.connectTimeout, 10)),
            ])
        }
    }
}
