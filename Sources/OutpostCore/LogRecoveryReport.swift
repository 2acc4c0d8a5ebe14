/// What recovery found when the log was opened.
public struct LogRecoveryReport: Sendable {
    /// Segments with a live header.
    public var liveSegments: Int = 0
    /// Segments with an erased header.
    public var erasedSegments: Int = 0
    /// Segments whose header is neither blank nor valid (damaged; treated as free).
    public var damagedHeaders: Int = 0
    /// Valid records found, by type (index = raw value; 0 unused).
    public var recordsByType: InlineArray<6, Int> = InlineArray(repeating: 0)
    /// Records lost to corruption in older segments (each costs the rest of its segment).
    public var skippedRecords: UInt64 = 0
    /// Older segments in which a corrupt record was found.
    public var corruptSegments: Int = 0
    /// Bytes after the head's last valid record that were not zero (a torn or unsynced write, or
    /// stale bytes of an earlier life of the segment); zeroed unless opened read-only.
    public var tailBytes: Int = 0
    /// Smallest and largest valid record sequences (0 when empty).
    public var firstSequence: UInt64 = 0
    public var lastSequence: UInt64 = 0
    /// Both cursor slots were non-blank and invalid.
    public var cursorDamaged: Bool = false
    /// File offset of the first corrupt record found in an older segment, and of the first damaged
    /// segment header; -1 when none (for `log verify` to say where).
    public var firstCorruptOffset: Int64 = -1
    public var firstDamagedHeaderOffset: Int64 = -1

    public init() {}

    /// Valid records found.
    public var records: Int {
        var total = 0
        for i in 0..<6 { total += recordsByType[i] }
        return total
    }

    /// True when something was damaged beyond a torn tail (what `log verify` reports as corruption).
    public var foundCorruption: Bool { corruptSegments > 0 || damagedHeaders > 0 || cursorDamaged }
}
