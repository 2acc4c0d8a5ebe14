/// What the command queue did since start (`/metrics`, `/health`).
public struct SensorCommandCounters: BitwiseCopyable, Sendable {
    /// Commands accepted, and refused because the queue or the sensor's share was full, or for
    /// another reason (empty, too long).
    public var accepted: UInt64 = 0
    public var refusedFull: UInt64 = 0
    public var refusedOther: UInt64 = 0
    public var delivered: UInt64 = 0
    public var expired: UInt64 = 0
    /// Commands put back from the log at start-up (still pending after replay), and records that
    /// could not be (no room, malformed, a duplicate id).
    public var restored: UInt64 = 0
    public var restoreSkipped: UInt64 = 0
    /// Commands ended undelivered because their sensor's index was given to a new sensor (also
    /// counted in `expired` when their event was recorded).
    public var droppedEvicted: UInt64 = 0
    /// Appends of command records the log refused (tried again later).
    public var logRefusals: UInt64 = 0

    public init() {}
}
