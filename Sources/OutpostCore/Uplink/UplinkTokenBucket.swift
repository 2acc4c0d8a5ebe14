/// The `--uplink-rate` limit: a token bucket of log records, in thousandths of a record so that
/// integer milliseconds refill it exactly (rate r records/s adds r milli-records per ms).
struct UplinkTokenBucket: BitwiseCopyable, Sendable {
    /// Records per second; 0 means unlimited.
    let ratePerS: Int64
    let capacityMilli: Int64
    var milli: Int64
    var lastMs: Int64

    init(ratePerS: UInt32, burstRecords: Int, nowMs: Int64) {
        precondition(burstRecords >= 1, "the bucket must hold a record")
        self.ratePerS = ratePerS.wide
        capacityMilli = burstRecords.wide * 1000
        milli = capacityMilli  // start full: a fresh daemon may send a first batch at once
        lastMs = nowMs
    }

    /// Adds the tokens earned since the last refill.
    mutating func refill(nowMs: Int64) {
        if ratePerS == 0 || nowMs <= lastMs {
            if nowMs > lastMs { lastMs = nowMs }
            return
        }
        // Clamp the interval so the product cannot overflow after a long pause.
        let elapsed = min(nowMs - lastMs, capacityMilli / ratePerS + 1)
        milli = min(capacityMilli, milli + elapsed * ratePerS)
        lastMs = nowMs
    }

    /// Whole records that may be sent now.
    var available: Int {
        if ratePerS == 0 { return Int.max }
        return Int(truncatingIfNeeded: milli / 1000)
    }

    /// Spends `records` tokens (at most `available`).
    mutating func take(_ records: Int) {
        if ratePerS == 0 { return }
        precondition(records >= 0 && records <= available, "spending tokens the bucket does not hold")
        milli -= records.wide * 1000
    }

    /// Milliseconds until one record may be sent (0 when it may now).
    var msUntilOne: Int64 {
        if ratePerS == 0 || milli >= 1000 { return 0 }
        return (1000 - milli + ratePerS - 1) / ratePerS
    }
}
