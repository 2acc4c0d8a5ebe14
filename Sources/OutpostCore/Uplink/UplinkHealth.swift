/// A snapshot of the uplink for `GET /health`.
public struct UplinkHealth: BitwiseCopyable, Sendable {
    public var state: UplinkLinkState
    public var mode: UplinkForwardMode
    /// Every record up to this sequence was delivered (the persisted forward cursor).
    public var cursor: UInt64
    /// Records after the cursor (forwarded or to be skipped by the mode).
    public var backlogRecords: UInt64
    /// Age of the oldest record after the cursor, in ms (0 when there is none).
    public var forwardLagMs: Int64
    /// True while a batch is in flight.
    public var inFlight: Bool
    public var counters: UplinkCounters
}
