/// What a decoded SenML pack produced.
public struct SenMLDecodeResult: Equatable, Sendable {
    /// Readings written at the start of the caller's buffer (records merged per sensor and time).
    public var readingCount: Int
    /// Records whose quantity is not one the runtime knows: skipped, not an error.
    public var unknownQuantityCount: Int
    /// Values of quantities not detected on, written at the start of the caller's quantity
    /// buffer (none when that buffer is empty: such records are then counted as unknown).
    public var quantityValueCount: Int

    public init(readingCount: Int, unknownQuantityCount: Int, quantityValueCount: Int = 0) {
        self.readingCount = readingCount
        self.unknownQuantityCount = unknownQuantityCount
        self.quantityValueCount = quantityValueCount
    }
}
