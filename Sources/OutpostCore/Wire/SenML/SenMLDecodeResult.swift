/// What a decoded SenML pack produced.
public struct SenMLDecodeResult: Equatable, Sendable {
    /// Readings written at the start of the caller's buffer (records merged per sensor and time).
    public var readingCount: Int
    /// Records whose quantity is not one the runtime knows: skipped, not an error.
    public var unknownQuantityCount: Int

    public init(readingCount: Int, unknownQuantityCount: Int) {
        self.readingCount = readingCount
        self.unknownQuantityCount = unknownQuantityCount
    }
}
