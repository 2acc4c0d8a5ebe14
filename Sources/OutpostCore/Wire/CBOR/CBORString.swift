/// Where a byte or text string lies in the input of a `CBORReader`.
///
/// A definite-length string is the contiguous range `start..<end`. An indefinite-length one is a
/// sequence of definite chunks between `start` and `end` (chunk headers included); read its bytes
/// with `CBORReader.forEachByte(of:)`.
public struct CBORString: Equatable, Sendable {
    public let start: Int
    public let end: Int
    public let chunked: Bool

    public init(start: Int, end: Int, chunked: Bool) {
        precondition(start >= 0 && start <= end)
        self.start = start
        self.end = end
        self.chunked = chunked
    }
}
