// Forgetting a sensor whose index is given to another (see `SensorTable.replace`).

extension WindowStore {
    /// Empties every window of sensor `sensor`: its buckets become unused (a bucket's accumulators
    /// are reset when it is taken again) and its per-sensor state is that of a sensor never seen.
    /// - Complexity: O(buckets per sensor).
    public mutating func reset(sensor: Int) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        let first = sensor * bucketsPerSensor
        for i in first..<(first + bucketsPerSensor) { buckets[i] = Bucket(number: Bucket.unused) }
        sensorStates[sensor] = SensorState.initial
    }
}
