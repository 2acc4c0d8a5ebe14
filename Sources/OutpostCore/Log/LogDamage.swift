/// One damaged stretch of a segment that recovery skipped (docs/LOG_FORMAT.md §6): bytes where
/// the next record should have been that do not check out, followed by a record that does (or,
/// in an older segment, by the segment's end).
public struct LogDamage: Equatable, Sendable, BitwiseCopyable {
    /// Index of the segment.
    public var segment: Int
    /// File offset of the first byte that failed: the end of the last valid record before it.
    public var offset: Int64
    /// Bytes skipped, up to the next valid record (or to the end of the segment's record space).
    public var bytes: Int
    /// Sequence of the first record lost, and how many were lost (the sequence gap to the next
    /// valid record, or to the next segment's first record).
    public var firstLostSequence: UInt64
    public var lostRecords: UInt64

    public init(segment: Int, offset: Int64, bytes: Int, firstLostSequence: UInt64, lostRecords: UInt64) {
        self.segment = segment
        self.offset = offset
        self.bytes = bytes
        self.firstLostSequence = firstLostSequence
        self.lostRecords = lostRecords
    }

    /// An empty entry (filler of the report's fixed list).
    public init() { self.init(segment: -1, offset: -1, bytes: 0, firstLostSequence: 0, lostRecords: 0) }
}
