// Threshold rules per quantity and sensor-name pattern, set at start-up and on every reload.

extension Pipeline {
    /// Makes `list` the threshold overrides (`ThresholdOverride`) in force, for every known sensor
    /// at once and for the sensors still to come. The caller keeps `list.count` within
    /// `P.thresholdOverrideCount`.
    /// - Complexity: O(sensors × list × 32).
    public mutating func setThresholdOverrides(_ list: UnsafeBufferPointer<ThresholdOverride>) {
        precondition(list.count <= P.thresholdOverrideCount, "more threshold overrides than the profile holds")
        detector.setOverrides(list, sensors: sensors)
    }
}
