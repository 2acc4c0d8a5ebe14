/// What recovery found when the log was opened.
public struct LogRecoveryReport: Sendable {
    /// Segments with a live header.
    public var liveSegments: Int = 0
    /// Segments with an erased header.
    public var erasedSegments: Int = 0
    /// Segments whose header is neither blank nor valid (damaged; treated as free).
    public var damagedHeaders: Int = 0
    /// Valid records found, by type (index = raw value; 0 unused; room for types up to 15).
    public var recordsByType: InlineArray<16, Int> = InlineArray(repeating: 0)
    /// Records lost to damage: the sequence gaps over every damaged stretch (`damage`), in any
    /// segment, the head included (not the head's torn tail, whose size in records is unknown).
    public var skippedRecords: UInt64 = 0
    /// Segments in which damage was found (a record that fails its checks with valid records
    /// after it, or an older segment's records ending short of the next segment's first).
    public var corruptSegments: Int = 0
    /// Damaged stretches found (all of them; `damage` lists the first `damageListCapacity`).
    public var damageCount: Int = 0
    /// The first damaged stretches, in the order recovery met them (oldest segment first);
    /// entries at `damageCount` and beyond are empty.
    public var damage: InlineArray<8, LogDamage> = InlineArray(repeating: LogDamage())
    /// How many entries `damage` holds at most.
    public static let damageListCapacity = 8
    /// File offset of a damaged file header copy (0 or `LogFormat.fileHeaderCopyOffset`; the
    /// file opened with the other), -1 when both were valid or the version has one copy.
    public var damagedHeaderCopyOffset: Int64 = -1
    /// The damaged copy was rewritten from the valid one (not when opened read-only).
    public var headerCopyRepaired: Bool = false
    /// Bytes after the head's last valid record that were not zero (a torn or unsynced write, or
    /// stale bytes of an earlier life of the segment); zeroed unless opened read-only.
    public var tailBytes: Int = 0
    /// Smallest and largest valid record sequences (0 when empty).
    public var firstSequence: UInt64 = 0
    public var lastSequence: UInt64 = 0
    /// Both cursor slots were non-blank and invalid.
    public var cursorDamaged: Bool = false
    /// File offset of the first damaged stretch of records (`damage[0].offset`), and of the first damaged
    /// segment header; -1 when none (for `log verify` to say where).
    public var firstCorruptOffset: Int64 = -1
    public var firstDamagedHeaderOffset: Int64 = -1

    public init() {}

    /// Valid records found.
    public var records: Int {
        var total = 0
        for i in 0..<16 { total += recordsByType[i] }
        return total
    }

    /// True when something was damaged beyond a torn tail (what `log verify` reports as corruption).
    public var foundCorruption: Bool {
        corruptSegments > 0 || damagedHeaders > 0 || cursorDamaged || damagedHeaderCopyOffset >= 0
    }

    /// Counts a damaged stretch and lists it while the list has room.
    mutating func note(_ entry: LogDamage) {
        if damageCount < LogRecoveryReport.damageListCapacity { damage[damageCount] = entry }
        damageCount += 1
        skippedRecords &+= entry.lostRecords
        if firstCorruptOffset < 0 { firstCorruptOffset = entry.offset }
    }
}
