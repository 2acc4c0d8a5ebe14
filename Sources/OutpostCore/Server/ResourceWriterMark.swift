/// A position in a `ResourceWriter`'s output to rewind to (drops a partly written element).
public struct ResourceWriterMark: BitwiseCopyable, Sendable {
    /// Bytes written at the mark.
    public var count: Int
    /// The writer's nesting state at the mark (JSON: which levels need a comma).
    public var state: UInt64
    public var depth: Int

    public init(count: Int, state: UInt64, depth: Int) {
        self.count = count
        self.state = state
        self.depth = depth
    }
}
