/// A position in the log for reading forward (the uplink, `log dump`). A plain value: the store
/// reads with it, and it stays meaningful across appends, commits and drops (a position inside a
/// segment erased meanwhile moves on to the oldest record that is left).
public struct LogReader: Sendable, Equatable, BitwiseCopyable {
    /// Segment read next, or -1 when the position must be looked up.
    var segment: Int
    /// Segment sequence of `segment` when the position was taken (detects an erase).
    var segmentSequence: UInt64
    /// Offset in the segment of the next record, and that record's sequence.
    var offset: Int
    var offsetSequence: UInt64
    /// The next record returned has at least this sequence.
    public internal(set) var nextSequence: UInt64

    /// A position at the first record with a sequence ≥ `sequence`.
    public init(from sequence: UInt64) {
        segment = -1
        segmentSequence = 0
        offset = 0
        offsetSequence = 0
        nextSequence = sequence
    }
}
