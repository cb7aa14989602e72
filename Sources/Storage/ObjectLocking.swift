import struct Foundation.Date

/// An Object Lock retention mode (S3's names).
public enum LockMode: String, Sendable, Equatable, CaseIterable {
    /// Users with a special permission may still shorten or remove the lock.
    case governance = "GOVERNANCE"
    /// Nobody can shorten or remove the lock, not even the account's root user.
    case compliance = "COMPLIANCE"
}

/// The lock an object carries: nobody may delete it (nor, in compliance mode, shorten the
/// lock) before `until`.
public struct ObjectRetention: Sendable, Equatable {
    public var mode: LockMode
    public var until: Date

    public init(mode: LockMode, until: Date) {
        self.mode = mode
        self.until = until
    }
}

/// How a bucket keeps old versions and whether it can lock objects, for
/// `check-config --connect`.
public struct BucketConfiguration: Sendable, Equatable {
    public enum Versioning: String, Sendable, Equatable {
        /// Never enabled: a write replaces, a delete removes.
        case off
        case enabled
        /// Was enabled: old versions stay, new writes get the `null` version.
        case suspended
    }

    public var versioning: Versioning
    /// Object Lock can be used on the bucket (it was created with it; versioning is then on).
    public var objectLockEnabled: Bool
    /// The bucket's default retention for new objects, when it has one.
    public var defaultRetention: (mode: LockMode, days: Int)?

    public init(versioning: Versioning, objectLockEnabled: Bool, defaultRetention: (mode: LockMode, days: Int)? = nil) {
        self.versioning = versioning
        self.objectLockEnabled = objectLockEnabled
        self.defaultRetention = defaultRetention
    }

    public static func == (a: BucketConfiguration, b: BucketConfiguration) -> Bool {
        a.versioning == b.versioning && a.objectLockEnabled == b.objectLockEnabled
            && a.defaultRetention?.mode == b.defaultRetention?.mode && a.defaultRetention?.days == b.defaultRetention?.days
    }
}

/// A store that can lock what it holds (S3 Object Lock). Deleting a locked object throws
/// `StorageError.locked(until:)`.
public protocol ObjectLocking: Store {
    /// The lock every object written by this store gets (mode and days from the write), or
    /// nil when it writes unlocked objects.
    var lockPolicy: ObjectLockPolicy? { get }

    /// The retention of `name` now, nil when it has none. A missing object is `notFound`.
    func retention(of name: String) throws -> ObjectRetention?

    /// Keeps `name` locked at least until `until`: a shorter retention is extended (in the
    /// mode it has, or the policy's when it has none), a longer one is left as it is. Never
    /// shortens. Returns the retention in force afterwards.
    @discardableResult
    func extendRetention(of name: String, until: Date) throws -> ObjectRetention

    /// The bucket's versioning and Object Lock settings.
    func bucketConfiguration() throws -> BucketConfiguration
}

/// The lock put on each object written: `mode` for `days` days from the write.
public struct ObjectLockPolicy: Sendable, Equatable {
    public var mode: LockMode
    public var days: Int

    public init(mode: LockMode, days: Int) {
        self.mode = mode
        self.days = days
    }
}
