/// Where the uplink reads the records it forwards: the log (`LogStore` through a small adapter in
/// the daemon) or `UplinkMemorySource` in tests. Generic, so no existential is needed.
///
/// Sequences are the log's record sequences: ≥ 1, increasing, possibly with gaps (records lost to
/// a drop or to corruption are simply never returned).
public protocol UplinkSource {
    /// Sequence of the newest record the uplink may forward (the log's newest durable one, except
    /// with `--durability none`), 0 when there is none. Nothing after it is ever read.
    var uplinkLastSequence: UInt64 { get }

    /// The id of the log the records come from (docs/LOG_FORMAT.md §2.1), sent with every pack
    /// (docs/UPLINK_FORMAT.md §2) so a receiver keys records on (node, log id, sequence); 0 for a
    /// source without one (the pack then carries no log id).
    var uplinkLogID: UInt64 { get }

    /// Reads into `record` the first record with a sequence above `sequence` (only alert records,
    /// raised or cleared, when `alertsOnly`), looking at no more than `budget` records.
    ///
    /// Calls usually continue where the last one stopped (`sequence` = the last sequence returned
    /// or reported), so an implementation should keep its position to make them O(1) amortised.
    mutating func uplinkRead(after sequence: UInt64, alertsOnly: Bool, budget: Int, into record: inout LogRecord) -> UplinkRead
}

/// The answer of `UplinkSource.uplinkRead`.
public enum UplinkRead: Equatable, Sendable {
    /// A record was read.
    case found
    /// No matching record in (after, `through`], `through` ≥ after: either the end of what may be
    /// forwarded (then `through` = the last sequence looked at) or the budget was spent.
    case none(through: UInt64)
    /// The source could not be read (an I/O error); the uplink retries on a later tick.
    case failed
}
