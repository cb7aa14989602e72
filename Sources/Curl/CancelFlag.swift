import Synchronization

/// A cancellation flag shared by the owner of transfers and their callbacks. Setting it makes
/// the next progress, read or write callback abort the transfer.
public final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)

    public init() {}

    public var isSet: Bool { value.load(ordering: .acquiring) }

    public func set() { value.store(true, ordering: .releasing) }
}
