import OutpostCore

/// Owns the arena memory of a pipeline under test (allocated once, before any counting starts).
final class PipelineHarness<P: Profile> {
    let memory: UnsafeMutableRawPointer
    var pipeline: Pipeline<P>

    init() {
        let bytes = max(Pipeline<P>.arenaBytesRequired, 16)
        memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: bytes)
        pipeline = Pipeline<P>(arena: &arena)
        precondition(arena.usedBytes == Pipeline<P>.arenaBytesRequired, "arena accounting differs")
    }

    deinit { memory.deallocate() }

    /// Drains the outbox, returning the alert events in order.
    func drainAlerts() -> [AlertEvent] {
        var alerts: [AlertEvent] = []
        while let event = pipeline.outbox.popFirst() {
            if case .alert(let alert) = event { alerts.append(alert) }
        }
        return alerts
    }
}

/// A deterministic generator of plausible readings for tests (SplitMix64).
struct ReadingSource {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// A value uniformly in `range`.
    mutating func uniform(_ range: ClosedRange<Int32>) -> Int32 {
        let width = UInt64(Int64(range.upperBound) - Int64(range.lowerBound) + 1)
        return Int32(Int64(range.lowerBound) + Int64(next() % width))
    }

    /// A reading of sensor `index` at `timestampMs`: mostly normal, now and then out of bounds.
    mutating func reading(sensor index: Int, timestampMs: Int64) -> Reading {
        var name = SensorName("sensor-000")
        let digits = [UInt8(0x30 + index / 100 % 10), UInt8(0x30 + index / 10 % 10), UInt8(0x30 + index % 10)]
        let text: [UInt8] = Array("sensor-".utf8) + digits
        text.withUnsafeBufferPointer { name = SensorName($0.span)! }
        var reading = Reading(sensor: name, timestampMs: timestampMs)
        let odd = next() % 20 == 0
        reading.features[.temperature] = odd ? uniform(36_000...85_000) : uniform(20_000...30_000)
        reading.features[.humidity] = uniform(40_000...70_000)
        reading.features[.pressure] = uniform(1_005_000...1_020_000)
        reading.features[.vibration] = odd ? uniform(2_500...5_000) : uniform(300...700)
        reading.features[.power] = odd ? uniform(10_000...40_000) : uniform(80_000...120_000)
        if index % 5 != 0 { reading.batteryMilliPercent = uniform(10_000...100_000) }
        return reading
    }
}
