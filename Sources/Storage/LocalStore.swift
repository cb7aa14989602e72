#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Files under a local folder. Files are created 0600 and folders 0700; a put is
/// write-to-`.partial`, fsync, rename, fsync of the folder, so a crash at any point leaves
/// either the old state or the complete new file, never a partial file under the final name.
public final class LocalStore: Store {
    public let root: String
    public let location = "local"
    /// Read and write size: large enough for throughput, small enough for bounded memory.
    static let bufferSize = 1 << 20

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    public func path(of name: String) -> String { name.isEmpty ? root : root + "/" + name }

    public func put(
        _ name: String, expectedSize: Int64?,
        reader: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws {
        try validateStoredName(name)
        let final = path(of: name)
        let directory = parent(of: final)
        try makeDirectories(directory)
        let temporary = final + partialSuffix
        // A fresh file, never one planted in advance: O_EXCL refuses an existing name and
        // O_NOFOLLOW a symlink there (which O_TRUNC would otherwise follow to its target).
        // A stale `.partial` of an interrupted write is unlinked first (unlink removes a
        // symlink itself, not what it points to).
        var fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 && errno == EEXIST {
            unlink(temporary)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else { throw io("create", temporary) }
        var published = false
        defer {
            if !published { unlink(temporary) }
        }
        do {
            // An older .partial may have had looser bits; O_CREAT's mode applies only to new files.
            guard fchmod(fd, 0o600) == 0 else { throw io("chmod", temporary) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            var total: Int64 = 0
            while true {
                let count = try reader(buffer)
                if count == 0 { break }
                do {
                    try writeAll(fd, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                } catch {
                    throw StorageError.io(location: location, operation: "write", path: temporary, errno: error.errno)
                }
                total += Int64(count)
            }
            if let expectedSize, expectedSize != total {
                throw StorageError.sizeMismatch(location: location, name: name, expected: expectedSize, actual: total)
            }
            guard fsync(fd) == 0 else { throw io("fsync", temporary) }
            guard close(fd) == 0 else { throw io("close", temporary) }
        } catch {
            close(fd)
            throw error
        }
        // link(2) fails with EEXIST where rename(2) would silently overwrite: a file planted
        // or published meanwhile stays as it is.
        guard link(temporary, final) == 0 else {
            if errno == EEXIST { throw StorageError.alreadyExists(location: location, name: name) }
            throw io("publish", final)
        }
        unlink(temporary)
        published = true
        try syncDirectory(directory)
    }

    /// Copies the file through `put` (so atomically). A local copy is cheap to redo, so nothing
    /// is resumed: `resumedFrom` is always 0.
    public func putFile(
        _ name: String, localPath: String, progress: ((_ sent: Int64, _ total: Int64) -> Void)?
    ) throws -> PutFileResult {
        let fd = open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw io("open", localPath) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw io("stat", localPath) }
        let total = Int64(info.st_size)
        var sent: Int64 = 0
        try put(name, expectedSize: total) { buffer in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw io("read", localPath)
                }
                sent += Int64(count)
                if count > 0 { progress?(sent, total) }
                return count
            }
        }
        return PutFileResult(bytes: total, resumedFrom: 0)
    }

    public func get(_ name: String, offset: Int64, writer: (UnsafeRawBufferPointer) throws -> Void) throws {
        try validateStoredName(name)
        let file = path(of: name)
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw StorageError.notFound(location: location, name: name) }
            throw io("open", file)
        }
        defer { close(fd) }
        if offset > 0, lseek(fd, off_t(offset), SEEK_SET) < 0 { throw io("seek", file) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw io("read", file)
            }
            if count == 0 { return }
            try writer(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    public func list(_ directory: String) throws -> [StoredObject] {
        try entries(directory).filter { !$0.name.hasSuffix(partialSuffix) }
    }

    public func partials(_ directory: String) throws -> [StoredObject] {
        try entries(directory).filter { $0.name.hasSuffix(partialSuffix) }
    }

    public func size(of name: String) throws -> Int64? {
        try validateStoredName(name)
        var info = stat()
        guard stat(path(of: name), &info) == 0 else {
            if errno == ENOENT { return nil }
            throw io("stat", path(of: name))
        }
        return Int64(info.st_size)
    }

    public func delete(_ name: String) throws {
        try validateStoredName(name)
        let file = path(of: name)
        guard unlink(file) == 0 || errno == ENOENT else { throw io("remove", file) }
        try syncDirectory(parent(of: file))
    }

    // MARK: - Helpers

    private func entries(_ directory: String) throws -> [StoredObject] {
        if !directory.isEmpty { try validateStoredName(directory) }
        let folder = path(of: directory)
        guard let dir = opendir(folder) else {
            if errno == ENOENT { return [] }
            throw io("list", folder)
        }
        defer { closedir(dir) }
        var result: [StoredObject] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            guard stat(folder + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let relative = directory.isEmpty ? name : directory + "/" + name
            result.append(StoredObject(name: relative, size: Int64(info.st_size)))
        }
        return result.sorted { $0.name < $1.name }
    }

    private func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private func makeDirectories(_ directory: String) throws {
        var info = stat()
        if stat(directory, &info) == 0 { return }
        let up = parent(of: directory)
        if up != directory { try makeDirectories(up) }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else { throw io("create folder", directory) }
    }

    private func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw io("open folder", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw io("fsync folder", directory) }
    }

    private func io(_ operation: String, _ path: String) -> StorageError {
        .io(location: location, operation: operation, path: path, errno: errno)
    }
}
