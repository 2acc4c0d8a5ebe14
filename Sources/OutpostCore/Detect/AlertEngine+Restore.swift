// Rebuilding alert state from the log after a restart, without emitting anything.

extension AlertEngine {
    /// Applies a logged alert event of sensor `sensor` to its state, as if the engine had just
    /// emitted it: a raised event marks its kind active (with the severity, feature and bound
    /// that clearing reports again), a cleared one inactive. Replaying a sensor's events in their
    /// order leaves exactly the alerts still open; nothing is emitted, so nothing is raised twice.
    /// - Complexity: O(1).
    public mutating func restore(sensor: Int, event: AlertEvent) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        var state = states[sensor]
        state.setActive(event.kind, event.raised)
        if event.raised {
            switch event.kind {
            case .threshold:
                state.thresholdSeverity = event.severity
                state.thresholdFeature = event.feature
                state.thresholdBound = event.threshold
            case .anomaly:
                state.anomalySeverity = event.severity
                state.anomalyQuietRun = 0
            case .critical:
                state.criticalFeature = event.feature
                state.criticalBound = event.threshold
                state.criticalQuietRun = 0
            case .anomalyRate, .offline, .lowBattery, .uplinkRejected:
                break
            }
        }
        states[sensor] = state
    }

    /// Marks sensor `sensor` as heard from at `atMs` (gateway clock) unless it was heard from
    /// later: after a restart every restored sensor gets a full `offlineAfterMs` before it can go
    /// offline, since its readings' own timestamps may be far off the gateway's clock.
    public mutating func restoreSeen(sensor: Int, atMs: Int64) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        if states[sensor].lastSeenMs < atMs { states[sensor].lastSeenMs = atMs }
    }
}
