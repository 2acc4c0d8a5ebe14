// Forgetting a sensor whose index is given to another (see `SensorTable.replace`).

extension ThresholdDetector {
    /// Puts sensor `sensor`'s debounce and hysteresis state back to that of a sensor never seen.
    /// - Complexity: O(features).
    public mutating func reset(sensor: Int) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        for feature in 0..<Feature.count {
            states[sensor * Feature.count + feature] = FeatureState.initial
            choices[sensor * Feature.count + feature] = ThresholdDetector.noOverride
        }
    }
}
