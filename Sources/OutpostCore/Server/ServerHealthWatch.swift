/// Remembers, across the daemon's status refreshes, since when the uplink has not been up and when
/// each trouble counter last grew, so `/health` can say `degraded` for as long as it matters.
public struct ServerHealthWatch: BitwiseCopyable, Sendable {
    /// How long the uplink may be down (or backing off) before `/health` turns degraded: 60 s,
    /// a few backoff rounds, so one lost exchange does not page anyone.
    public static let uplinkDownGraceMs: Int64 = 60_000
    /// How long a trouble counter that grew keeps `/health` degraded after its last growth: 60 s.
    public static let recentMs: Int64 = 60_000

    /// When the uplink was last seen not up after being up (nil: up, or no uplink).
    public var uplinkNotUpSinceMs: Int64? = nil
    /// Last values seen, and when each last grew (Int64.min: never).
    var lost: UInt64 = 0
    var rejected: UInt64 = 0
    var commitFailures: UInt64 = 0
    public var lostGrewMs = Int64.min
    public var rejectedGrewMs = Int64.min
    public var commitFailedMs = Int64.min

    public init() {}

    /// Takes a new snapshot at `nowMs`.
    public mutating func observe(_ s: ServerStoreStatus, nowMs: Int64) {
        if s.uplinkEnabled && s.uplink.state != .up {
            if uplinkNotUpSinceMs == nil { uplinkNotUpSinceMs = nowMs }
        } else {
            uplinkNotUpSinceMs = nil
        }
        let lostNow = s.droppedReadings &+ s.notLogged
        if lostNow != lost { lostGrewMs = nowMs }
        lost = lostNow
        if s.recordsRejected != rejected { rejectedGrewMs = nowMs }
        rejected = s.recordsRejected
        if s.commitFailures != commitFailures { commitFailedMs = nowMs }
        commitFailures = s.commitFailures
    }

    /// True when `eventMs` is within `recentMs` before `nowMs`.
    @inline(__always)
    static func recent(_ eventMs: Int64, nowMs: Int64) -> Bool {
        if eventMs == Int64.min { return false }
        let (ageMs, overflow) = nowMs.subtractingReportingOverflow(eventMs)
        return !overflow && ageMs < recentMs
    }
}
