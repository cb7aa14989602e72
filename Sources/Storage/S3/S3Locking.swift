import struct Foundation.Date

/// Object Lock and versions: retention read and extended, versioned deletes that report a
/// lock in force, the bucket's configuration. The store's lock is held throughout.
struct Locking {
    let store: S3Store
    let connection: S3Connection

    var location: String { store.location }

    /// The retention of `name` (of one version of it), nil when it has none.
    func retention(of name: String, versionID: String?) throws -> ObjectRetention? {
        var query = [("retention", "")]
        if let versionID { query.append(("versionId", versionID)) }
        let response = try connection.send("GET", key: store.target.key(name), query: query, operation: "get retention", name: name)
        if !response.isSuccess {
            let error = connection.error(response, operation: "get retention", name: name)
            switch error {
            case .http(_, _, _, 404, _, _), .http(_, _, _, 400, "InvalidRequest", _):
                return nil  // NoSuchObjectLockConfiguration; a bucket without Object Lock
            default:
                throw error
            }
        }
        guard let root = try? XMLDocument.parse(response.body), root.name == "Retention" else {
            throw malformed("get retention", name)
        }
        guard let modeText = root.value("Mode"), let untilText = root.value("RetainUntilDate") else { return nil }
        guard let mode = LockMode(rawValue: modeText.uppercased()), let until = ISO8601UTC.parse(untilText) else {
            throw malformed("get retention", name)
        }
        return ObjectRetention(mode: mode, until: until)
    }

    /// Extends, never shortens (see `ObjectLocking.extendRetention`).
    func extend(_ name: String, until: Date) throws -> ObjectRetention {
        let wanted = Date(timeIntervalSince1970: until.timeIntervalSince1970.rounded(.down))
        let current = try retention(of: name, versionID: nil)
        if let current, current.until >= wanted { return current }
        guard let mode = current?.mode ?? store.options.objectLock?.mode else {
            throw StorageError.configuration(location: location, detail: "\(name) has no lock and the remote sets no lock mode")
        }
        let retention = ObjectRetention(mode: mode, until: wanted)
        try putRetention(name, retention)
        return retention
    }

    /// Sets the retention as given (the server refuses to shorten a compliance lock).
    func putRetention(_ name: String, _ retention: ObjectRetention) throws {
        let xml = "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>\(retention.mode.rawValue)</Mode>"
            + "<RetainUntilDate>\(ISO8601UTC.format(retention.until))</RetainUntilDate></Retention>"
        let body = Array(xml.utf8)
        let response = try body.withUnsafeBytes { bytes in
            try connection.send(
                "PUT", key: store.target.key(name), query: [("retention", "")], headers: [("content-type", "application/xml")],
                body: S3Connection.Body(bytes), operation: "set retention", name: name)
        }
        guard response.isSuccess else { throw connection.error(response, operation: "set retention", name: name) }
    }

    /// Deletes every version and delete marker of `name`. Versions whose lock is in force stay:
    /// the call then throws `locked(until:)` with the latest date among them.
    func deleteVersions(of name: String) throws {
        let versions = try listVersions(of: name)
        var lockedUntil: Date?
        for version in versions where !version.isDeleteMarker {
            let response = try connection.send(
                "DELETE", key: store.target.key(name), query: [("versionId", version.id)], operation: "delete", name: name)
            if response.isSuccess || response.status == 404 { continue }
            if response.status == 403, let retention = try retention(of: name, versionID: version.id), retention.until > connection.now() {
                lockedUntil = max(lockedUntil ?? retention.until, retention.until)
                continue
            }
            throw connection.error(response, operation: "delete", name: name)
        }
        if let lockedUntil { throw StorageError.locked(location: location, name: name, until: lockedUntil) }
        for marker in versions where marker.isDeleteMarker {
            let response = try connection.send(
                "DELETE", key: store.target.key(name), query: [("versionId", marker.id)], operation: "delete", name: name)
            guard response.isSuccess || response.status == 404 else { throw connection.error(response, operation: "delete", name: name) }
        }
    }

    struct Version {
        var id: String
        var isDeleteMarker: Bool
    }

    /// The versions and delete markers of exactly `name` (ListObjectVersions, paginated).
    func listVersions(of name: String) throws -> [Version] {
        let key = store.target.key(name)
        var result: [Version] = []
        var keyMarker = ""
        var versionMarker = ""
        var seen = Set<String>()
        while true {
            var query = [("versions", ""), ("prefix", key), ("encoding-type", "url"), ("max-keys", String(store.listPageSize))]
            if !keyMarker.isEmpty { query += [("key-marker", keyMarker), ("version-id-marker", versionMarker)] }
            let response = try connection.send("GET", key: nil, query: query, operation: "list versions", name: name)
            guard response.isSuccess else { throw connection.error(response, operation: "list versions", name: name) }
            guard let root = try? XMLDocument.parse(response.body) else { throw malformed("list versions", name) }
            let url = root.value("EncodingType") == "url"
            for entry in root.children where entry.name == "Version" || entry.name == "DeleteMarker" {
                guard let raw = entry.value("Key"), (url ? S3URIEncoding.decode(raw) : raw) == key,
                      let id = entry.value("VersionId"), !id.isEmpty, id.utf8.count <= 1024 else { continue }
                result.append(Version(id: id, isDeleteMarker: entry.name == "DeleteMarker"))
            }
            guard result.count <= Listing.maxEntries else { throw StorageError.tooLarge(location: location, name: name, limit: Listing.maxEntries) }
            guard root.value("IsTruncated") == "true" else { return result }
            let nextKey = root.value("NextKeyMarker") ?? ""
            let nextVersion = root.value("NextVersionIdMarker") ?? ""
            guard !nextKey.isEmpty, seen.insert(nextKey + "\n" + nextVersion).inserted else { throw malformed("list versions", name) }
            keyMarker = url ? S3URIEncoding.decode(nextKey) ?? nextKey : nextKey
            versionMarker = nextVersion
        }
    }

    func versioning() throws -> BucketConfiguration.Versioning {
        let response = try connection.send("GET", key: nil, query: [("versioning", "")], operation: "get versioning", name: "")
        guard response.isSuccess else { throw connection.error(response, operation: "get versioning", name: "") }
        guard let root = try? XMLDocument.parse(response.body) else { throw malformed("get versioning", "") }
        switch root.value("Status") {
        case "Enabled": return .enabled
        case "Suspended": return .suspended
        default: return .off
        }
    }

    func bucketConfiguration() throws -> BucketConfiguration {
        let versioning = try versioning()
        let response = try connection.send("GET", key: nil, query: [("object-lock", "")], operation: "get object lock configuration", name: "")
        if !response.isSuccess {
            let error = connection.error(response, operation: "get object lock configuration", name: "")
            if case .http(_, _, _, 404, _, _) = error { return BucketConfiguration(versioning: versioning, objectLockEnabled: false) }
            if case .notFound = error { return BucketConfiguration(versioning: versioning, objectLockEnabled: false) }
            throw error
        }
        guard let root = try? XMLDocument.parse(response.body) else { throw malformed("get object lock configuration", "") }
        let enabled = root.value("ObjectLockEnabled") == "Enabled"
        var defaultRetention: (LockMode, Int)?
        if let rule = root.child("Rule")?.child("DefaultRetention"), let mode = rule.value("Mode").flatMap({ LockMode(rawValue: $0.uppercased()) }) {
            if let days = rule.value("Days").flatMap({ Int($0) }), days > 0 {
                defaultRetention = (mode, days)
            } else if let years = rule.value("Years").flatMap({ Int($0) }), years > 0, years < 1000 {
                defaultRetention = (mode, years * 365)
            }
        }
        return BucketConfiguration(versioning: versioning, objectLockEnabled: enabled, defaultRetention: defaultRetention)
    }

    private func malformed(_ operation: String, _ name: String) -> StorageError {
        .remote(location: location, operation: operation, name: name, code: 0, message: "unexpected response")
    }
}
