/// What `/health` shows about the daemon's log and uplink, which live outside the server: the
/// daemon refreshes this snapshot every loop tick (plain integers, no allocation).
public struct ServerStoreStatus: BitwiseCopyable, Sendable {
    /// False when the daemon runs without a log (no `--data-dir`): `/health` then has no `log`.
    public var logEnabled = false
    /// `ready`, `full`, `no_space`, `failed`, or `unavailable` (the file could not be opened yet).
    public var logState: StaticString = "unavailable"
    /// `sync`, `batch` or `none`.
    public var durability: StaticString = "sync"
    /// `drop-oldest` or `reject-new`.
    public var whenFull: StaticString = "drop-oldest"
    /// Sequence of the oldest record kept, of the last one written and of the last one synced.
    public var oldestSequence: UInt64 = 0
    public var lastSequence: UInt64 = 0
    public var durableSequence: UInt64 = 0
    /// Record bytes appendable without erasing anything.
    public var freeBytes: Int64 = 0
    /// Unforwarded readings lost to drop-oldest.
    public var droppedReadings: UInt64 = 0
    /// Outbox events the log refused (full or out of space) and so did not keep.
    public var notLogged: UInt64 = 0
    /// True while new readings are answered 5.03 because the log cannot take them.
    public var refusing = false
    /// Ticks whose commit did not complete (their answers were withheld), since start.
    public var commitFailures: UInt64 = 0
    /// Records the upstream refused for good, since start (the uplink's `records_rejected`
    /// counter; the daemon feeds it, 0 where the uplink does not count them).
    public var recordsRejected: UInt64 = 0
    /// False when there is no `--upstream`: `/health` then has no `uplink`.
    public var uplinkEnabled = false
    public var uplink = UplinkHealth(
        state: .up, mode: .raw, cursor: 0, backlogRecords: 0, forwardLagMs: 0, inFlight: false, counters: UplinkCounters())

    public init() {}
}
