// Whether the gateway is healthy: the reasons `/health` gives for `degraded`.

extension Server {
    /// The names of the reasons, by bit number of `degradedReasons(nowMs:)`.
    static func reasonName(_ bit: Int) -> StaticString {
        switch bit {
        case 0: return "sensor_table_full"
        case 1: return "uplink_down"
        case 2: return "log_unavailable"
        case 3: return "log_refusing"
        case 4: return "log_dropping"
        case 5: return "records_rejected"
        default: return "commit_failing"
        }
    }
    static var reasonCount: Int { 7 }

    /// Why the gateway is degraded now (bit n: `reasonName(n)`; 0: healthy):
    /// - `sensor_table_full`: new sensors are refused;
    /// - `uplink_down`: the uplink has been down or backing off for `uplinkDownGraceMs` or more;
    /// - `log_unavailable`: the log is not open, out of space, read-only or failed;
    /// - `log_refusing`: readings are answered 5.03 because the log cannot take them;
    /// - `log_dropping`: within `recentMs`, unforwarded readings were dropped (drop-oldest) or
    ///   outbox events were not logged;
    /// - `records_rejected`: within `recentMs`, the upstream refused records for good;
    /// - `commit_failing`: within `recentMs`, a tick's commit did not complete (answers withheld).
    ///
    /// A serial line that is not open is not a reason: a device may come and go by design (it is
    /// reopened with backoff); `/health`'s `serial` member shows `open` against `lines`.
    /// - Complexity: O(1)
    public func degradedReasons(nowMs: Int64) -> UInt16 {
        var reasons: UInt16 = 0
        if pipeline.sensors.count == pipeline.sensors.capacity { reasons |= 1 &<< 0 }
        let s = storeStatus
        let w = healthWatch
        if s.uplinkEnabled, let since = w.uplinkNotUpSinceMs {
            let (downMs, overflow) = nowMs.subtractingReportingOverflow(since)
            if !overflow && downMs >= ServerHealthWatch.uplinkDownGraceMs { reasons |= 1 &<< 1 }
        }
        if s.logEnabled {
            let state = s.logState
            if !Server.same(state, "ready") && !Server.same(state, "full") { reasons |= 1 &<< 2 }
            if s.refusing { reasons |= 1 &<< 3 }
            if ServerHealthWatch.recent(w.lostGrewMs, nowMs: nowMs) { reasons |= 1 &<< 4 }
            if ServerHealthWatch.recent(w.commitFailedMs, nowMs: nowMs) { reasons |= 1 &<< 6 }
        }
        if s.uplinkEnabled && ServerHealthWatch.recent(w.rejectedGrewMs, nowMs: nowMs) { reasons |= 1 &<< 5 }
        return reasons
    }

    /// Takes the daemon's log and uplink snapshot at `nowMs` (what `/health` shows), remembering
    /// how long the uplink has been down and when trouble counters last grew.
    public mutating func updateStoreStatus(_ status: ServerStoreStatus, nowMs: Int64) {
        storeStatus = status
        healthWatch.observe(status, nowMs: nowMs)
        updateUplinkRejectionAlert(nowMs: nowMs)
    }

    /// Raises the gateway's `uplink_rejected` alert when the upstream refused a record for good
    /// (the uplink set it aside), and clears it once none was for `ServerHealthWatch.recentMs`:
    /// the alert is open exactly while `/health` gives the reason `records_rejected`, so a burst
    /// of refusals is one episode, not one alert per record. The event goes through the outbox
    /// like a sensor's: into `/alerts`, to observers and event streams, and into the log, from
    /// which the uplink forwards it (alerts first). `value` is the count of records set aside
    /// since start. An outbox with no room now is tried again at the next update.
    /// - Complexity: O(1)
    mutating func updateUplinkRejectionAlert(nowMs: Int64) {
        let rejecting = storeStatus.uplinkEnabled && ServerHealthWatch.recent(healthWatch.rejectedGrewMs, nowMs: nowMs)
        if rejecting == uplinkRejectionOpen { return }
        let rejected = storeStatus.recordsRejected
        let event = AlertEvent(
            raised: rejecting, kind: .uplinkRejected, severity: .major, sensorSlot: AlertEvent.gatewaySlot,
            feature: nil, value: rejected > 0x7FFF_FFFF ? Int32.max : Int32(truncatingIfNeeded: rejected),
            threshold: 0, confidenceQ16: 0, timestampMs: nowMs)
        if pipeline.outbox.tryAppend(.alert(event)) { uplinkRejectionOpen = rejecting }
    }

    /// Byte equality of two static strings (the core keeps off `String`).
    static func same(_ a: StaticString, _ b: StaticString) -> Bool {
        if a.utf8CodeUnitCount != b.utf8CodeUnitCount { return false }
        for i in 0..<a.utf8CodeUnitCount where a.utf8Start[i] != b.utf8Start[i] { return false }
        return true
    }
}
