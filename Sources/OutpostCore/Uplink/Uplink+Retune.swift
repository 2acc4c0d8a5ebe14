// Changing what the running uplink sends and how fast (a configuration reload).

extension Uplink {
    /// Switches to forward `mode` at `rateRecordsPerS` (0: unlimited) from now on. A batch in
    /// flight finishes as it was encoded; the next batch follows the new settings. The token
    /// bucket starts again full at the new rate, as at start-up.
    public mutating func retune(mode: UplinkForwardMode, rateRecordsPerS: UInt32, nowMs: Int64) {
        settings.mode = mode
        settings.rateRecordsPerS = rateRecordsPerS
        bucket = UplinkTokenBucket(ratePerS: rateRecordsPerS, burstRecords: settings.burstRecords, nowMs: nowMs)
    }
}
