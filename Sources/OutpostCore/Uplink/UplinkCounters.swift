/// What the uplink did since start (for `/health` and `/metrics`). All counters only grow.
public struct UplinkCounters: BitwiseCopyable, Sendable, Equatable {
    /// Batches started (an alert batch or a record batch; a retry after a backoff counts again).
    public var batchesSent: UInt64 = 0
    /// Batches whose last block was answered 2.xx.
    public var batchesAcknowledged: UInt64 = 0
    /// Log records in acknowledged batches.
    public var recordsForwarded: UInt64 = 0
    /// Log records passed by the cursor without sending (not forwarded in this mode).
    public var recordsFiltered: UInt64 = 0
    /// Log records whose payload did not decode (skipped, never sent).
    public var recordsMalformed: UInt64 = 0
    /// CoAP messages sent, retransmissions included.
    public var datagramsSent: UInt64 = 0
    public var retransmissions: UInt64 = 0
    /// Exchanges given up: no ACK after MAX_RETRANSMIT, or no separate response in time.
    public var timeouts: UInt64 = 0
    /// RST answers to our requests.
    public var resets: UInt64 = 0
    /// 4.xx and 5.xx answers other than 5.03: the batch is retried after a backoff, or, for a
    /// refusal about the records (`rejectedAnswers`), narrowed down.
    public var refused: UInt64 = 0
    /// Refusals that retrying cannot fix (4.00, 4.13 without a smaller block, 4.22): the batch is
    /// narrowed down to the refused record (docs/UPLINK_FORMAT.md §5).
    public var rejectedAnswers: UInt64 = 0
    /// Log records refused for good and set aside (a *rejected by upstream* marker names each).
    public var recordsRejected: UInt64 = 0
    /// CoAP pings sent while backing off after a failed exchange, and those answered (each answer
    /// ends the backoff).
    public var probesSent: UInt64 = 0
    public var probesAnswered: UInt64 = 0
    /// 5.03 answers (the uplink waits Max-Age).
    public var serviceUnavailable: UInt64 = 0
    /// Datagrams from the upstream that matched no exchange, or did not parse.
    public var strayDatagrams: UInt64 = 0
    /// Source read failures.
    public var sourceErrors: UInt64 = 0
    /// Datagrams not sent because the daemon's send batch was full (handled as lost).
    public var sinkFull: UInt64 = 0

    public init() {}
}
