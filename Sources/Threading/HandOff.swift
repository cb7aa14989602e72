/// Moves a value that is not `Sendable` to one other thread: a single-owner object (a hash, a
/// cipher, a zlib stream, a pipeline stage) that may change threads but must never be used by
/// two at once. Such a type does not claim `Sendable`; the move is stated here, once.
///
/// The invariant, which the compiler cannot check: wrapping a value gives it up. From
/// `HandOff(value)` on, the sender does not use the value, nor anything that shares its state,
/// until the receiver hands it back, with a `HandOff` of its own or by ending and being joined
/// (a thread's join orders everything it did before whatever follows the join). The receiver
/// calls `take()` once.
public struct HandOff<Value>: @unchecked Sendable {
    // @unchecked: true by the invariant above (the sender lets go), which no type can express.
    private let value: Value

    public init(_ value: consuming Value) {
        self.value = value
    }

    /// The value, now the receiver's.
    public consuming func take() -> Value {
        value
    }
}
