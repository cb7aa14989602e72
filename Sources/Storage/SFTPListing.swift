import Curl

// MARK: - Listing, sizes and deletion (lock held)

extension SFTPStore {
    /// The size of `name`, nil if it does not exist.
    func remoteSize(_ easy: CurlEasy, _ name: String) throws -> Int64? {
        do {
            try run(easy, url: endpoint.url(name), operation: "stat", name: name, metadata: true) { easy, _ in
                try easy.set(.noBody(true))
            }
        } catch let error as StorageError {
            if case .notFound = error { return nil }
            throw error
        }
        if let size = easy.downloadContentLength { return size }
        // libcurl reports no size for an empty file: read it from the folder's listing.
        let folder = name.lastIndex(of: "/").map { String(name[..<$0]) } ?? ""
        guard let entry = try entriesLocked(easy, folder).first(where: { $0.name == name }) else {
            throw StorageError.remote(location: location, operation: "stat", name: name, code: 0, message: "not a regular file")
        }
        return entry.size
    }

    func deleteLocked(_ easy: CurlEasy, _ name: String) throws {
        do {
            try run(easy, url: endpoint.folderURL(""), operation: "delete", name: name, metadata: true) { easy, _ in
                try easy.set([.noBody(true), .quote(["rm \(endpoint.quoted(name))"])])
            }
        } catch let error as StorageError {
            // The rm failed; if the file is gone (or never was) the delete succeeded.
            if case .remote(_, _, _, CurlCode.quoteError.rawValue, _) = error, try remoteSize(easy, name) == nil {
                return
            }
            throw error
        }
    }

    func entries(_ directory: String) throws -> [StoredObject] {
        if !directory.isEmpty { try validateStoredName(directory) }
        return try locked { easy in try entriesLocked(easy, directory) }
    }

    /// The regular files directly inside `directory`, `.partial` ones included.
    func entriesLocked(_ easy: CurlEasy, _ directory: String) throws -> [StoredObject] {
        var listing: [UInt8] = []
        do {
            try run(easy, url: endpoint.folderURL(directory), operation: "list", name: directory, metadata: true) { _, transfer in
                transfer.writer = { [location] piece in
                    guard listing.count + piece.count <= Self.listingLimit else {
                        throw StorageError.tooLarge(location: location, name: directory + "/", limit: Self.listingLimit)
                    }
                    listing.append(contentsOf: piece)
                }
            }
        } catch let error as StorageError {
            if case .notFound = error { return [] }  // a missing folder holds nothing
            throw error
        }
        var result: [StoredObject] = []
        for line in listing.split(separator: UInt8(ascii: "\n")) {
            guard let entry = Self.parseListingLine(Array(line)) else {
                throw StorageError.remote(
                    location: location, operation: "list", name: directory, code: 0,
                    message: "unexpected listing line \"\(String(decoding: line, as: UTF8.self))\"")
            }
            guard entry.isFile, entry.name != ".", entry.name != ".." else { continue }
            result.append(StoredObject(name: directory.isEmpty ? entry.name : directory + "/" + entry.name, size: entry.size))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Parses one line of the server's long listing, as OpenSSH writes it (`ls -l` style):
    /// `mode links owner group size month day time-or-year name`; the name is everything after
    /// the single space that follows the eighth field. Only regular files count (`-` mode).
    static func parseListingLine(_ line: [UInt8]) -> (name: String, size: Int64, isFile: Bool)? {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        var fields: [ArraySlice<UInt8>] = []
        let space = UInt8(ascii: " ")
        while fields.count < 8 {
            bytes = bytes.drop { $0 == space }
            let field = bytes.prefix { $0 != space }
            guard !field.isEmpty else { return nil }
            fields.append(field)
            bytes = bytes.dropFirst(field.count)
        }
        guard bytes.first == space, bytes.count > 1,
              let size = Int64(String(decoding: fields[4], as: UTF8.self)), size >= 0 else { return nil }
        let name = String(decoding: bytes.dropFirst(), as: UTF8.self)
        return (name, size, fields[0].first == UInt8(ascii: "-"))
    }
}
