/// The search for a record the upstream refuses for good (docs/UPLINK_FORMAT.md §5, *Rejected
/// records*): after such a refusal of a batch of n > 1 log records, batches of that kind (alert
/// batches or record batches) hold at most `limit` records until the search passed `endSequence`,
/// so the refused batch is sent again in halves, the refused half in halves again, down to the one
/// record that is set aside. The search ends when that record is set aside (full batches again;
/// another refused record among the rest starts a new search) or when the mark passed
/// `endSequence` without finding one (the refusal did not come back).
struct UplinkNarrowing: BitwiseCopyable, Sendable {
    /// True while alert batches are being narrowed (their mark is `alertMark`), else record batches
    /// (their mark is the cursor).
    var alertsOnly: Bool
    /// Log records per batch at most, ≥ 1.
    var limit: Int
    /// The last record of the refused batch: the search is over once that kind's mark reached it.
    var endSequence: UInt64
}
