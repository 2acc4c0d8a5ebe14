extension MQTTClient {
    /// Applies a reloaded `--forward` and `--uplink-rate` (the window and the cursor stay).
    public mutating func retune(mode: UplinkForwardMode, rateRecordsPerS: UInt32, nowMs: Int64) {
        settings.mode = mode
        settings.rateRecordsPerS = rateRecordsPerS
        bucket = UplinkTokenBucket(ratePerS: rateRecordsPerS, burstRecords: settings.burstRecords, nowMs: nowMs)
    }
}
