/// The paginated listings: objects (ListObjectsV2), in-progress uploads
/// (ListMultipartUploads), an upload's parts (ListParts). Every name, size and token that
/// comes back is checked: keys outside the folder or invalid as stored names are skipped,
/// a bad size or a repeated continuation token fails, and the total is bounded.
struct Listing {
    let store: S3Store
    let connection: S3Connection

    struct Upload: Equatable {
        /// The stored name (prefix removed).
        var name: String
        var uploadID: String
    }

    struct Part: Equatable {
        var number: Int
        var etag: String
        var size: Int64
    }

    /// Most entries one listing returns (bounded memory); more is refused.
    static let maxEntries = 1_000_000

    /// The objects directly inside `directory`.
    func objects(in directory: String) throws -> [StoredObject] {
        var result: [StoredObject] = []
        try paginate(operation: "list", folder: directory, query: [("list-type", "2")], token: "continuation-token") { root in
            for entry in root.children("Contents") {
                guard let key = try decodedKey(root, entry.value("Key")), let name = name(of: key, in: directory) else { continue }
                guard let sizeText = entry.value("Size"), let size = Int64(sizeText), size >= 0 else {
                    throw malformed("list", directory, "bad size for \(name)")
                }
                result.append(StoredObject(name: name, size: size))
            }
            guard result.count <= Self.maxEntries else { throw StorageError.tooLarge(location: store.location, name: directory + "/", limit: Self.maxEntries) }
            return root.value("IsTruncated") == "true" ? root.value("NextContinuationToken") ?? "" : nil
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The in-progress multipart uploads of names directly inside `directory`.
    func uploads(in directory: String) throws -> [Upload] {
        var result: [Upload] = []
        var keyMarker = ""
        var uploadMarker = ""
        var seen = Set<String>()
        while true {
            var query = [
                ("uploads", ""), ("prefix", folderPrefix(directory)), ("delimiter", "/"), ("encoding-type", "url"),
                ("max-uploads", String(store.listPageSize)),
            ]
            if !keyMarker.isEmpty { query.append(("key-marker", keyMarker)) }
            if !uploadMarker.isEmpty { query.append(("upload-id-marker", uploadMarker)) }
            let root = try fetch("GET", query: query, operation: "list uploads", name: directory)
            for entry in root.children("Upload") {
                guard let key = try decodedKey(root, entry.value("Key")), let name = name(of: key, in: directory),
                      let id = entry.value("UploadId"), !id.isEmpty, id.utf8.count <= 1024 else { continue }
                result.append(Upload(name: name, uploadID: id))
            }
            guard result.count <= Self.maxEntries else { throw StorageError.tooLarge(location: store.location, name: directory + "/", limit: Self.maxEntries) }
            guard root.value("IsTruncated") == "true" else {
                var ids = Set<String>()
                return result.filter { ids.insert($0.uploadID).inserted }
            }
            // AWS pages by key and upload id; SeaweedFS sends (and reads) the upload id alone.
            let nextKey = root.value("NextKeyMarker") ?? ""
            let nextUpload = root.value("NextUploadIdMarker") ?? ""
            guard !(nextKey.isEmpty && nextUpload.isEmpty), seen.insert(nextKey + "\n" + nextUpload).inserted else {
                throw malformed("list uploads", directory, "truncated listing without a new marker")
            }
            keyMarker = S3URIEncoding.decode(nextKey) ?? nextKey
            uploadMarker = nextUpload
        }
    }

    /// The parts of one upload, by number.
    func parts(key: String, uploadID: String) throws -> [Part] {
        var result: [Part] = []
        var marker = ""
        var seen = Set<String>()
        while true {
            var query = [("uploadId", uploadID), ("max-parts", String(store.listPageSize))]
            if !marker.isEmpty { query.append(("part-number-marker", marker)) }
            let root = try fetch("GET", key: key, query: query, operation: "list parts", name: key)
            for entry in root.children("Part") {
                guard let numberText = entry.value("PartNumber"), let number = Int(numberText), (1...S3Store.maxParts).contains(number),
                      let sizeText = entry.value("Size"), let size = Int64(sizeText), size >= 0,
                      let etag = entry.value("ETag"), !etag.isEmpty, etag.utf8.count <= 200
                else { throw malformed("list parts", key, "bad part entry") }
                result.append(Part(number: number, etag: etag, size: size))
            }
            guard result.count <= S3Store.maxParts else { throw malformed("list parts", key, "more than \(S3Store.maxParts) parts") }
            guard root.value("IsTruncated") == "true" else { break }
            let next = root.value("NextPartNumberMarker") ?? ""
            guard !next.isEmpty, seen.insert(next).inserted else { throw malformed("list parts", key, "truncated listing without a new marker") }
            marker = next
        }
        return result.sorted { $0.number < $1.number }
    }

    // MARK: - Helpers

    /// Requests pages until `page` returns no continuation token.
    private func paginate(
        operation: String, folder: String, query: [(String, String)], token: String,
        _ page: (XMLElement) throws -> String?
    ) throws {
        let name = folder
        var next: String?
        var seen = Set<String>()
        repeat {
            var full = query + [
                ("prefix", folderPrefix(folder)), ("delimiter", "/"), ("encoding-type", "url"), ("max-keys", String(store.listPageSize)),
            ]
            if let next { full.append((token, next)) }
            let root = try fetch("GET", query: full, operation: operation, name: name)
            next = try page(root)
            if let next, next.isEmpty || !seen.insert(next).inserted {
                throw malformed(operation, name, "truncated listing without a new continuation token")
            }
        } while next != nil
    }

    private func fetch(_ method: String, key: String? = nil, query: [(String, String)], operation: String, name: String) throws -> XMLElement {
        let response = try connection.send(method, key: key, query: query, operation: operation, name: name)
        if response.status == 404, key != nil { throw StorageError.notFound(location: store.location, name: name) }
        guard response.isSuccess else { throw connection.error(response, operation: operation, name: name) }
        do {
            return try XMLDocument.parse(response.body)
        } catch {
            throw malformed(operation, name, error.description)
        }
    }

    private func folderPrefix(_ directory: String) -> String {
        store.target.prefix + (directory.isEmpty ? "" : directory + "/")
    }

    /// A listed key, decoded when the response says `EncodingType` url.
    private func decodedKey(_ root: XMLElement, _ raw: String?) throws -> String? {
        guard let raw else { return nil }
        return root.value("EncodingType") == "url" ? S3URIEncoding.decode(raw) : raw
    }

    /// The stored name of `key` when it is directly inside `directory`; nil otherwise.
    private func name(of key: String, in directory: String) -> String? {
        let prefix = folderPrefix(directory)
        guard key.hasPrefix(prefix) else { return nil }
        let base = key.dropFirst(prefix.count)
        guard !base.isEmpty, !base.contains("/") else { return nil }
        let name = store.target.prefix.isEmpty ? String(key) : String(key.dropFirst(store.target.prefix.count))
        guard (try? validateStoredName(name)) != nil else { return nil }
        return name
    }

    private func malformed(_ operation: String, _ name: String, _ detail: String) -> StorageError {
        .remote(location: store.location, operation: operation, name: name, code: 0, message: "unexpected response: \(detail)")
    }
}
