import OutpostCore

/// The readings a pipeline benchmark feeds, built before any clock starts so generation is not
/// timed. Owned memory: allocate once with `make`, release with `deallocate`.
struct BenchReadings {
    let buffer: UnsafeMutableBufferPointer<Reading>

    /// `count` readings from `sensorCount` sensors reporting round-robin every 10 s, in core units:
    /// mostly normal values, with about 2 % excursions (hot, shaking, or starved of power) so the
    /// detectors and the alert engine do real work.
    /// - Complexity: O(count).
    static func make(count: Int, sensorCount: Int, seed: UInt64) -> BenchReadings {
        precondition(count > 0, "count must be positive")
        precondition(sensorCount > 0 && sensorCount <= 10_000, "sensorCount out of range")
        var names: [SensorName] = []
        names.reserveCapacity(sensorCount)
        for index in 0..<sensorCount {
            var bytes: [UInt8] = Array("bench-".utf8)
            bytes.append(contentsOf: Array(String(index).utf8))
            let name = bytes.withUnsafeBufferPointer { SensorName($0.span) }
            guard let name else { preconditionFailure("bench sensor name is invalid") }
            names.append(name)
        }
        var random = BenchRandom(seed: seed)
        let buffer = UnsafeMutableBufferPointer<Reading>.allocate(capacity: count)
        let startMs: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        for i in 0..<count {
            let timestampMs = startMs + Int64(i / sensorCount) * 10_000
            var reading = Reading(sensor: names[i % sensorCount], timestampMs: timestampMs)
            reading.features[.temperature] = random.around(22_000, 3_000)
            reading.features[.humidity] = random.around(45_000, 10_000)
            reading.features[.pressure] = random.around(1_013_250, 5_000)
            reading.features[.vibration] = random.around(800, 400)
            reading.features[.power] = random.around(100_000, 30_000)
            if random.chance(perMille: 20) {
                switch random.next() % 3 {
                case 0: reading.features[.temperature] = random.around(50_000, 4_000)
                case 1: reading.features[.vibration] = random.around(3_500, 400)
                default: reading.features[.power] = random.around(15_000, 4_000)
                }
            }
            buffer.initializeElement(at: i, to: reading)
        }
        return BenchReadings(buffer: buffer)
    }

    func deallocate() {
        buffer.deallocate()
    }
}
