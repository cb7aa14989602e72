import CryptoPrimitives

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes one object: PutObject for what fits in one part, a multipart upload otherwise
/// (resumed by `putFile`). The store's lock is held throughout.
struct Uploader {
    let store: S3Store
    let connection: S3Connection
    let name: String

    var key: String { store.target.key(name) }
    var location: String { store.location }

    /// Largest part held in memory; with 10,000 parts, files up to 468 GiB.
    static let maxBufferedPart = 48 << 20

    /// The part size for an object of `size` bytes: the configured one, or larger (whole MiB)
    /// when that would take more than 10,000 parts.
    func partSize(for size: Int64?) throws -> Int {
        let configured = store.options.partSize
        guard let size else { return configured }
        let needed = (size + Int64(S3Store.maxParts) - 1) / Int64(S3Store.maxParts)
        let rounded = Int((needed + (1 << 20) - 1) >> 20) << 20
        let part = max(configured, rounded)
        guard part <= Self.maxBufferedPart else {
            throw StorageError.tooLarge(location: location, name: name, limit: Self.maxBufferedPart * S3Store.maxParts)
        }
        return part
    }

    // MARK: - Streaming put

    func put(expectedSize: Int64?, reader: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        if try store.headSize(connection, name) != nil { throw StorageError.alreadyExists(location: location, name: name) }
        let partSize = try partSize(for: expectedSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: partSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        /// Fills the buffer from the reader; its byte count (short only at the end).
        func fill() throws -> Int {
            var filled = 0
            while filled < buffer.count {
                let room = buffer.count - filled
                let count = try reader(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                guard count >= 0, count <= room else {
                    throw StorageError.remote(location: location, operation: "upload", name: name, code: 0, message: "the reader returned \(count) bytes for \(room)")
                }
                if count == 0 { break }
                filled += count
                total += Int64(count)
                if let expectedSize, total > expectedSize {
                    throw StorageError.sizeMismatch(location: location, name: name, expected: expectedSize, actual: total)
                }
            }
            return filled
        }
        func checkTotal() throws {
            if let expectedSize, total != expectedSize {
                throw StorageError.sizeMismatch(location: location, name: name, expected: expectedSize, actual: total)
            }
        }

        var count = try fill()
        if count < buffer.count {
            try checkTotal()
            try putObject(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            return
        }
        let uploadID = try createUpload()
        do {
            var parts: [(Int, String)] = []
            while count > 0 {
                guard parts.count < S3Store.maxParts else {
                    throw StorageError.tooLarge(location: location, name: name, limit: partSize * S3Store.maxParts)
                }
                let number = parts.count + 1
                parts.append((number, try uploadPart(uploadID, number, UnsafeRawBufferPointer(rebasing: buffer[0..<count]))))
                count = try fill()
            }
            try checkTotal()
            try complete(uploadID, parts: parts)
        } catch {
            // Atomic put: nothing of a failed one stays (the reader cannot be replayed).
            try? store.abortUpload(connection, name: name, uploadID: uploadID, honoursCancel: false)
            throw error
        }
        if let stored = try store.headSize(connection, name), stored != total {
            throw StorageError.sizeMismatch(location: location, name: name, expected: total, actual: stored)
        }
    }

    // MARK: - Resumable file upload

    func putFile(fd: Int32, path: String, progress: ((Int64, Int64) -> Void)?) throws -> PutFileResult {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StorageError.io(location: location, operation: "stat", path: path, errno: errno) }
        let total = Int64(info.st_size)
        if try store.headSize(connection, name) != nil { throw StorageError.alreadyExists(location: location, name: name) }
        let partSize = try partSize(for: total)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: partSize, alignment: 16)
        defer { buffer.deallocate() }
        /// Reads bytes [offset, offset + count) of the file into the buffer.
        func load(_ offset: Int64, _ count: Int) throws -> UnsafeRawBufferPointer {
            var done = 0
            while done < count {
                let got = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + Int64(done)))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw StorageError.io(location: location, operation: "read", path: path, errno: errno)
                }
                guard got > 0 else {  // the file shrank under us: never publish it
                    throw StorageError.sizeMismatch(location: location, name: name, expected: total, actual: offset + Int64(done))
                }
                done += got
            }
            return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        }

        if total <= Int64(store.options.partSize) {
            try putObject(try load(0, Int(total)))
            progress?(total, total)
            return PutFileResult(bytes: total, resumedFrom: 0)
        }

        let count = Int((total + Int64(partSize) - 1) / Int64(partSize))
        func range(_ number: Int) -> (offset: Int64, size: Int) {
            let offset = Int64(number - 1) * Int64(partSize)
            return (offset, Int(min(Int64(partSize), total - offset)))
        }
        // An interrupted upload of this name: keep each part that matches the file.
        var uploadID: String?
        var kept: [Int: String] = [:]
        var keptBytes: Int64 = 0
        let listing = Listing(store: store, connection: connection)
        for upload in try listing.uploads(in: store.parentFolder(name)) where upload.name == name {
            var matching: [Int: String] = [:]
            var bytes: Int64 = 0
            let parts: [Listing.Part]
            do {
                parts = try listing.parts(key: key, uploadID: upload.uploadID)
            } catch StorageError.notFound {
                continue  // completed or aborted meanwhile
            }
            for part in parts where part.number <= count {
                let (offset, size) = range(part.number)
                guard part.size == Int64(size) else { continue }
                let md5 = Hex.encode(MD5.hash(try load(offset, size)))
                guard part.etag.lowercased().trimmingCharacters(in: "\"") == md5 else { continue }
                matching[part.number] = part.etag
                bytes += Int64(size)
            }
            if uploadID == nil || bytes > keptBytes {
                if let previous = uploadID { try store.abortUpload(connection, name: name, uploadID: previous) }
                (uploadID, kept, keptBytes) = (upload.uploadID, matching, bytes)
            } else {
                try store.abortUpload(connection, name: name, uploadID: upload.uploadID)
            }
        }
        let id = try uploadID ?? createUpload()
        var sent = keptBytes
        progress?(sent, total)
        var parts: [(Int, String)] = []
        for number in 1...count {
            if let etag = kept[number] {
                parts.append((number, etag))
                continue
            }
            let (offset, size) = range(number)
            parts.append((number, try uploadPart(id, number, try load(offset, size))))
            sent += Int64(size)
            progress?(sent, total)
        }
        do {
            try complete(id, parts: parts)
        } catch StorageError.alreadyExists(let location, let name) {
            try? store.abortUpload(connection, name: name, uploadID: id)
            throw StorageError.alreadyExists(location: location, name: name)
        }
        if let stored = try store.headSize(connection, name), stored != total {
            throw StorageError.sizeMismatch(location: location, name: name, expected: total, actual: stored)
        }
        return PutFileResult(bytes: total, resumedFrom: keptBytes)
    }

    // MARK: - Requests

    /// Object Lock headers for an object written now.
    private var lockHeaders: [(String, String)] {
        guard let policy = store.options.objectLock else { return [] }
        let until = connection.now().addingTimeInterval(Double(policy.days) * 86_400)
        return [("x-amz-object-lock-mode", policy.mode.rawValue), ("x-amz-object-lock-retain-until-date", ISO8601UTC.format(until))]
    }

    private func putObject(_ bytes: UnsafeRawBufferPointer) throws {
        let response = try connection.send(
            "PUT", key: key,
            headers: [("content-type", "application/octet-stream"), ("if-none-match", "*")] + lockHeaders,
            body: S3Connection.Body(bytes), operation: "upload", name: name)
        if response.status == 412 { throw StorageError.alreadyExists(location: location, name: name) }
        guard response.isSuccess else { throw connection.error(response, operation: "upload", name: name) }
    }

    func createUpload() throws -> String {
        let response = try connection.send(
            "POST", key: key, query: [("uploads", "")],
            headers: [("content-type", "application/octet-stream")] + lockHeaders,
            body: S3Connection.Body(UnsafeRawBufferPointer(start: nil, count: 0)), operation: "start upload", name: name)
        guard response.isSuccess else { throw connection.error(response, operation: "start upload", name: name) }
        guard let root = try? XMLDocument.parse(response.body), root.name == "InitiateMultipartUploadResult",
              let id = root.value("UploadId"), !id.isEmpty, id.utf8.count <= 1024
        else {
            throw StorageError.remote(location: location, operation: "start upload", name: name, code: 0, message: "unexpected response: no UploadId")
        }
        return id
    }

    /// Uploads one part; returns its ETag.
    func uploadPart(_ uploadID: String, _ number: Int, _ bytes: UnsafeRawBufferPointer) throws -> String {
        guard !store.isCancelled else { throw StorageError.cancelled(location: location) }
        let response = try connection.send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
            body: S3Connection.Body(bytes), operation: "upload part \(number)", name: name)
        guard response.isSuccess else { throw connection.error(response, operation: "upload part \(number)", name: name) }
        guard let etag = response.headers["etag"], !etag.isEmpty, etag.utf8.count <= 200,
              !etag.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") })
        else {
            throw StorageError.remote(location: location, operation: "upload part \(number)", name: name, code: 0, message: "unexpected response: no valid ETag")
        }
        return etag
    }

    private func complete(_ uploadID: String, parts: [(Int, String)]) throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (number, etag) in parts {
            xml += "<Part><PartNumber>\(number)</PartNumber><ETag>\(etag.replacingQuotes())</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        let response = try body.withUnsafeBytes { bytes in
            try connection.send(
                "POST", key: key, query: [("uploadId", uploadID)],
                headers: [("content-type", "application/xml"), ("if-none-match", "*")],
                body: S3Connection.Body(bytes), operation: "complete upload", name: name)
        }
        if response.status == 412 { throw StorageError.alreadyExists(location: location, name: name) }
        guard response.isSuccess else { throw connection.error(response, operation: "complete upload", name: name) }
        // S3 may answer 200 and report a failure in the body.
        guard let root = try? XMLDocument.parse(response.body) else {
            throw StorageError.remote(location: location, operation: "complete upload", name: name, code: 0, message: "unexpected response")
        }
        if root.name == "Error" {
            var failed = response
            failed.status = root.value("Code") == "PreconditionFailed" ? 412 : 500
            if failed.status == 412 { throw StorageError.alreadyExists(location: location, name: name) }
            throw connection.error(failed, operation: "complete upload", name: name)
        }
    }
}

extension String {
    /// `"` as `&quot;` (ETags are quoted strings inside XML text).
    fileprivate func replacingQuotes() -> String {
        var out = ""
        for character in self { out += character == "\"" ? "&quot;" : String(character) }
        return out
    }

    fileprivate func trimmingCharacters(in set: String) -> String {
        let drop = Set(set)
        let start = firstIndex { !drop.contains($0) } ?? endIndex
        let end = lastIndex { !drop.contains($0) }.map { index(after: $0) } ?? start
        return start < end ? String(self[start..<end]) : ""
    }
}
