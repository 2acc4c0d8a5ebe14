/// Running counts of what the store did since it was opened (for /health, stats and tests).
public struct LogCounters: Sendable, Equatable {
    /// Unforwarded readings lost when drop-oldest erased a segment.
    public var droppedReadings: UInt64 = 0
    /// Unforwarded window summaries and markers lost the same way.
    public var droppedOther: UInt64 = 0
    /// Unforwarded alerts a drop could not copy for want of room in the head (docs/LOG_FORMAT.md §7).
    public var droppedAlerts: UInt64 = 0
    /// Unforwarded alerts a drop erased without a copy because a newer alert record of the same
    /// sensor and kind is in the log (docs/LOG_FORMAT.md §7: only the newest state is carried).
    public var supersededAlerts: UInt64 = 0
    /// Alerts copied forward out of dropped segments.
    public var copiedAlerts: UInt64 = 0
    /// Segments erased (dropped or reused after forwarding).
    public var erasedSegments: UInt64 = 0
    /// Appends refused: log full (reject-new) and device out of space.
    public var rejectedFull: UInt64 = 0
    public var rejectedNoSpace: UInt64 = 0
    /// Syncs issued and commits that wrote something.
    public var syncs: UInt64 = 0
    public var commits: UInt64 = 0
    /// Segments opened without syncing their header first (the header was durably clean).
    public var headerSyncsSkipped: UInt64 = 0
    /// Records a reader skipped: sequences of damaged stretches it went past (each time it read
    /// over them), plus one per segment whose rest it gave up on (damage after open).
    public var readSkips: UInt64 = 0

    public init() {}
}
