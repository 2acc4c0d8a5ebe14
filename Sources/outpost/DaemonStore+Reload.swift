import OutpostCore

// The uplink settings a configuration reload may change while the daemon runs.

extension DaemonStore {
    /// Forward `mode` at `ratePerS` from now on, for the running uplink and for any later start of
    /// it (after the log was unavailable). Nothing without `--upstream`.
    mutating func retuneUplink(mode: UplinkForwardMode, ratePerS: UInt32, nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        if var settings = mqttClientSettings {
            settings.mode = mode
            settings.rateRecordsPerS = ratePerS
            mqttClientSettings = settings
            mqtt?.retune(mode: mode, rateRecordsPerS: ratePerS, nowMs: nowMs)
        }
        #endif
        guard var settings = uplinkSettings else { return }
        settings.mode = mode
        settings.rateRecordsPerS = ratePerS
        uplinkSettings = settings
        uplink?.retune(mode: mode, rateRecordsPerS: ratePerS, nowMs: nowMs)
    }
}
