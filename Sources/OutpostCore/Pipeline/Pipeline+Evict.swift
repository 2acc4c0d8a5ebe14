// Sensor slots that come back: when the table is full, a new sensor takes the index of the
// longest-silent sensor that has been offline (its alert raised) for `sensorEvictAfterMs`.

extension Pipeline {
    /// Default `sensorEvictAfterMs`: one day. Eviction happens only when the table is full, so a
    /// gateway with room never forgets a sensor, and a full one forgets none heard from today.
    public static var defaultSensorEvictAfterMs: Int64 { 86_400_000 }

    /// True when sensor `index` may give its index away at `nowMs`: eviction is on, its offline
    /// alert is raised (so the offline event was logged before it is forgotten), it has been
    /// silent for `sensorEvictAfterMs`, and no event of it waits in the outbox (the drain names
    /// events by index, so the index must not change under them).
    /// - Complexity: O(outbox count).
    public func isEvictable(_ index: Int, nowMs: Int64) -> Bool {
        precondition(index >= 0 && index < sensors.count, "sensor index out of range")
        if sensorEvictAfterMs <= 0 { return false }
        let state = alerts.state(sensor: index)
        if !state.isActive(.offline) || state.lastSeenMs == Int64.min { return false }
        let (silenceMs, overflow) = nowMs.subtractingReportingOverflow(state.lastSeenMs)
        if overflow || silenceMs < sensorEvictAfterMs { return false }
        return !hasPendingEvents(index)
    }

    /// True while an event of sensor `index` waits in the outbox: the drain names events by
    /// index, so the index must not change under them.
    /// - Complexity: O(outbox count).
    public func hasPendingEvents(_ index: Int) -> Bool {
        let slot = UInt16(truncatingIfNeeded: index)
        for offset in 0..<outbox.count {
            switch outbox[offset] {
            case .reading(let reading): if reading.sensorSlot == slot { return true }
            case .alert(let alert): if alert.sensorSlot == slot { return true }
            }
        }
        return false
    }

    /// The evictable sensor silent the longest at `nowMs`, or nil.
    /// - Complexity: O(sensors × outbox count) at most; only run when the table is full.
    public func evictionCandidate(nowMs: Int64) -> Int? {
        if sensorEvictAfterMs <= 0 { return nil }
        var best: Int? = nil
        var bestSeenMs = Int64.max
        for index in 0..<sensors.count {
            let seenMs = alerts.state(sensor: index).lastSeenMs
            if seenMs < bestSeenMs && isEvictable(index, nowMs: nowMs) {
                best = index
                bestSeenMs = seenMs
            }
        }
        return best
    }

    /// How many sensors are evictable at `nowMs`, counting up to `limit`.
    /// - Complexity: O(sensors × outbox count).
    public func evictableCount(nowMs: Int64, limit: Int) -> Int {
        precondition(limit >= 0, "negative limit")
        var n = 0
        for index in 0..<sensors.count where n < limit && isEvictable(index, nowMs: nowMs) { n += 1 }
        return n
    }

    /// Gives the longest-silent evictable index to the new sensor `name`, after resetting every
    /// per-sensor state of the pipeline (thresholds, windows, context, alerts); nil when none is evictable.
    /// State kept per index outside the pipeline (the server's records, its alert history) is the
    /// owner's to reset: `counters.sensorsEvicted` tells it that the reading's index was reused.
    /// - Complexity: that of `evictionCandidate`.
    mutating func evict(for name: SensorName, nowMs: Int64) -> Int? {
        guard let index = evictionCandidate(nowMs: nowMs) else { return nil }
        reassign(index, to: name)
        return index
    }

    /// Gives index `index` (no event of it in the outbox) to the new sensor `name`, resetting
    /// every per-sensor state of the pipeline first, and counts it in `sensorsEvicted`. The
    /// server calls it itself to choose the index (`Server.assignSlot`) and log the eviction.
    /// - Complexity: O(features × windows) for the resets, O(1) expected for the table.
    public mutating func reassign(_ index: Int, to name: SensorName) {
        precondition(!hasPendingEvents(index), "an outbox event still names this index")
        detector.reset(sensor: index)
        windows.reset(sensor: index)
        if Pipeline.contextPossible { contexts.reset(sensor: index) }
        alerts.reset(sensor: index)
        sensors.replace(index, with: name)
        counters.sensorsEvicted &+= 1
    }
}
