/// A record the upstream refused for good, being set aside (docs/UPLINK_FORMAT.md §5): the daemon
/// appends a *rejected by upstream* marker naming it (`Uplink.rejectionToRecord`,
/// `Uplink.rejectionRecorded`), and only once that marker is durable does the uplink pass the
/// record, so no record leaves the forward path without a durable trace of why.
struct UplinkSetAside: BitwiseCopyable, Sendable {
    /// Log sequence of the refused record.
    var sequence: UInt64
    /// True when it was refused in an alert batch (then passing it moves `alertMark`), else in a
    /// records batch (then the cursor moves to `batchEnd`).
    var alertsOnly: Bool
    /// The refused batch's end (`UplinkBatch.endSequence`): the records batch covered the log up to
    /// it, the refused record being its only encoded one.
    var batchEnd: UInt64
    /// Sequence of the marker once the daemon appended it, else nil.
    var markerSequence: UInt64?
}
