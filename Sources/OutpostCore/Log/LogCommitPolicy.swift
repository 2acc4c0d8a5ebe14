/// When to commit (write and sync) buffered records: the group-commit knobs. The caller asks
/// after each tick; a commit happens when any limit is reached.
public struct LogCommitPolicy: Sendable, Equatable, BitwiseCopyable {
    /// Commit at least once per loop tick when something is pending.
    public var everyTick: Bool
    /// Commit when this many records are pending (0: no limit).
    public var maxPendingRecords: Int
    /// Commit when the oldest pending record waited this long (0: no limit).
    public var maxDelayMs: Int64

    public init(everyTick: Bool, maxPendingRecords: Int, maxDelayMs: Int64) {
        precondition(maxPendingRecords >= 0 && maxDelayMs >= 0)
        self.everyTick = everyTick
        self.maxPendingRecords = maxPendingRecords
        self.maxDelayMs = maxDelayMs
    }

    /// Durable acknowledgements: commit every tick.
    public static let perTick = LogCommitPolicy(everyTick: true, maxPendingRecords: 0, maxDelayMs: 0)
    /// Batched: every 256 records or 200 ms.
    public static let batched = LogCommitPolicy(everyTick: false, maxPendingRecords: 256, maxDelayMs: 200)

    /// True when `pendingRecords` records, the oldest appended at `oldestPendingMs`, should be
    /// committed at `nowMs` (at the end of a tick when `endOfTick`).
    public func shouldCommit(pendingRecords: Int, oldestPendingMs: Int64, nowMs: Int64, endOfTick: Bool) -> Bool {
        if pendingRecords == 0 { return false }
        if everyTick && endOfTick { return true }
        if maxPendingRecords > 0 && pendingRecords >= maxPendingRecords { return true }
        if maxDelayMs > 0 && nowMs - oldestPendingMs >= maxDelayMs { return true }
        return false
    }
}
