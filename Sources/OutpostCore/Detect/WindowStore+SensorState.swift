extension WindowStore {
    /// What the store keeps per sensor besides its buckets (32 bytes).
    public struct SensorState: BitwiseCopyable, Sendable {
        /// Newest reading timestamp recorded, or `Int64.min` before the first reading.
        public var newestMs: Int64
        /// Reference value per feature (the first value seen), so the bucket sums stay small.
        public var references: InlineArray<5, Int32>
        /// Bit `feature.index` set once the feature's reference is fixed.
        public var referenceMask: UInt8

        /// A sensor with no reading yet.
        public static let initial = SensorState(
            newestMs: Int64.min, references: InlineArray(repeating: 0), referenceMask: 0)
    }
}

extension WindowStore {
    /// The newest timestamp recorded for sensor `sensor`, `Int64.min` before its first reading:
    /// the previous reading's time for the rate inputs of a model (`FeatureContext`).
    /// - Complexity: O(1).
    @inline(__always)
    public func newestMs(sensor: Int) -> Int64 {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        return sensorStates[sensor].newestMs
    }
}
