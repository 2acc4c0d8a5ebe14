// Forgetting a sensor whose index is given to another, and the settings that may change live.

extension AlertEngine {
    /// Puts sensor `sensor`'s alert state back to that of a sensor never heard from. The caller
    /// has made sure no event of the sensor is still waiting to be logged.
    /// - Complexity: O(1).
    public mutating func reset(sensor: Int) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        states[sensor] = SensorState.initial
    }

    /// Silence (gateway clock) after which `tick` raises a sensor's offline alert; positive.
    public mutating func setOfflineAfter(ms: Int64) {
        precondition(ms > 0, "offlineAfterMs must be positive")
        settings.offlineAfterMs = ms
    }
}
