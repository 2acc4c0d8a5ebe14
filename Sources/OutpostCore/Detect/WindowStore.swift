/// Rolling windows per sensor and feature: time-bucketed rings carved from the arena.
///
/// For each span in `windows`, every sensor has a ring of `span.bucketCount` buckets of
/// `span.bucketMs`; a reading goes into the bucket of `floor(timestampMs / bucketMs)` in slot
/// `number mod bucketCount`, resetting the slot when it still holds an older bucket. Memory is
/// fixed whatever the reading rate: per sensor, per bucket a 24-byte `Bucket` header and five
/// 32-byte `Accumulator`s (184 bytes), plus a 32-byte `SensorState`. All four spans are 43 buckets
/// (7 944 bytes per sensor); the 1 and 5 minute spans 16 buckets (2 976 bytes).
///
/// Readings older than the oldest bucket of a span (relative to the sensor's newest reading) are
/// ignored for that span and counted in `lateReadings`; out-of-order readings within the window go
/// into their bucket.
public struct WindowStore {
    public let windows: WindowSet
    /// Most sensors the store holds windows for (dense indices 0..<sensorCapacity).
    public let sensorCapacity: Int
    /// Buckets per sensor over all spans in `windows`.
    public let bucketsPerSensor: Int
    /// First bucket of each span within a sensor's buckets, indexed by `span.rawValue` (0 for a
    /// span not in `windows`).
    @usableFromInline let spanOffsets: InlineArray<4, Int>
    /// Bucket headers, sensor-major: `sensor * bucketsPerSensor + spanOffset + slot`.
    @usableFromInline let buckets: UnsafeMutableBufferPointer<Bucket>
    /// Feature sums: `(bucket index) * Feature.count + feature.index`.
    @usableFromInline let accumulators: UnsafeMutableBufferPointer<Accumulator>
    @usableFromInline let sensorStates: UnsafeMutableBufferPointer<SensorState>
    /// Readings ignored by a span because they were older than its oldest bucket (once per span).
    public private(set) var lateReadings: UInt64 = 0

    /// Windows `windows` for `sensorCapacity` sensors.
    public init(arena: inout Arena, windows: WindowSet, sensorCapacity: Int) {
        precondition(sensorCapacity > 0, "the store needs room for at least one sensor")
        precondition(windows.mask & ~WindowSet.all.mask == 0, "unknown window span in the set")
        self.windows = windows
        self.sensorCapacity = sensorCapacity
        var offsets = InlineArray<4, Int>(repeating: 0)
        bucketsPerSensor = WindowStore.layout(windows, offsets: &offsets)
        spanOffsets = offsets
        let bucketCount = sensorCapacity * bucketsPerSensor
        buckets = arena.carve(bucketCount, of: Bucket(number: Bucket.unused))
        // All-zero bits, not `.empty`: a slot's accumulators are read only while its bucket is in
        // range and are reset to `.empty` when the slot takes a bucket, so their start value is
        // never seen. Zero lets a zeroed arena leave the pages of sensors never seen unwritten.
        accumulators = arena.carve(bucketCount * Feature.count, of: Accumulator(
            sumDeviation: 0, sumSquaredDeviation: 0, count: 0, minimum: 0, maximum: 0, saturated: false))
        sensorStates = arena.carve(sensorCapacity, of: SensorState.initial)
    }

    /// Arena bytes the store takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, windows: WindowSet, sensorCapacity: Int) -> Int {
        var offsets = InlineArray<4, Int>(repeating: 0)
        let bucketCount = sensorCapacity * layout(windows, offsets: &offsets)
        var bytes = Arena.bytes(after: offset, bucketCount, of: Bucket.self)
        bytes = Arena.bytes(after: bytes, bucketCount * Feature.count, of: Accumulator.self)
        return Arena.bytes(after: bytes, sensorCapacity, of: SensorState.self)
    }

    /// Fills the first bucket of each span in `windows` and returns the buckets per sensor.
    static func layout(_ windows: WindowSet, offsets: inout InlineArray<4, Int>) -> Int {
        var total = 0
        for index in 0..<WindowSpan.count {
            guard let span = WindowSpan.at(index), windows.contains(span) else { continue }
            offsets[index] = total
            total += span.bucketCount
        }
        return total
    }

    /// Adds a processed reading of sensor `sensor` to every window.
    /// - Complexity: O(spans × `Feature.count`).
    public mutating func record(sensor: Int, timestampMs: Int64, features: FeatureVector, status: Status, anomaly: Bool) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        var state = sensorStates[sensor]
        if timestampMs > state.newestMs { state.newestMs = timestampMs }
        for index in 0..<Feature.count {
            let bit = UInt8(1) &<< UInt8(truncatingIfNeeded: index)
            if features.presentMask & bit != 0 && state.referenceMask & bit == 0 {
                state.references[index] = features.values[index]
                state.referenceMask |= bit
            }
        }
        sensorStates[sensor] = state
        for spanIndex in 0..<WindowSpan.count {
            guard let span = WindowSpan.at(spanIndex), windows.contains(span) else { continue }
            let bucketMs = span.bucketMs
            let ringCount = span.bucketCount.wide
            let number = WindowStore.floorDivide(timestampMs, bucketMs)
            if number <= WindowStore.floorDivide(state.newestMs, bucketMs) - ringCount {
                lateReadings &+= 1
                continue
            }
            let slot = Int(truncatingIfNeeded: number - WindowStore.floorDivide(number, ringCount) * ringCount)
            let bucketIndex = sensor * bucketsPerSensor + spanOffsets[spanIndex] + slot
            if buckets[bucketIndex].number != number {
                // A slot holding a newer bucket would mean this reading is a full ring older than
                // the newest one: the lateness check above already dropped it.
                precondition(buckets[bucketIndex].number < number, "window bucket newer than the sensor's newest reading")
                buckets[bucketIndex] = Bucket(number: number)
                let first = bucketIndex * Feature.count
                for feature in 0..<Feature.count { accumulators[first + feature] = .empty }
            }
            buckets[bucketIndex].count(status: status, anomaly: anomaly)
            let first = bucketIndex * Feature.count
            for feature in 0..<Feature.count where features.presentMask & (UInt8(1) &<< UInt8(truncatingIfNeeded: feature)) != 0 {
                accumulators[first + feature].add(features.values[feature], reference: state.references[feature])
            }
        }
    }

    /// The statistics of sensor `sensor` over `span` as of `nowMs`: the buckets whose start lies
    /// in (nowMs − span, nowMs]. A span not in `windows` yields an empty summary.
    /// - Complexity: O(`span.bucketCount` × `Feature.count`).
    public func summary(sensor: Int, span: WindowSpan, nowMs: Int64) -> WindowSummary {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        var summary = WindowSummary(span: span)
        guard windows.contains(span) else { return summary }
        let ringCount = span.bucketCount
        let newest = WindowStore.floorDivide(nowMs, span.bucketMs)
        let oldest = newest - ringCount.wide + 1
        var totals = InlineArray<5, Accumulator>(repeating: .empty)
        let first = sensor * bucketsPerSensor + spanOffsets[Int(span.rawValue)]
        for slot in 0..<ringCount {
            let bucket = buckets[first + slot]
            guard bucket.number >= oldest && bucket.number <= newest else { continue }
            summary.normalCount = Bucket.saturatingAdd(summary.normalCount, bucket.normalCount)
            summary.warningCount = Bucket.saturatingAdd(summary.warningCount, bucket.warningCount)
            summary.alertCount = Bucket.saturatingAdd(summary.alertCount, bucket.alertCount)
            summary.anomalyCount = Bucket.saturatingAdd(summary.anomalyCount, bucket.anomalyCount)
            let cells = (first + slot) * Feature.count
            for feature in 0..<Feature.count { totals[feature].merge(accumulators[cells + feature]) }
        }
        let references = sensorStates[sensor].references
        for feature in 0..<Feature.count {
            summary.features[feature] = totals[feature].stats(reference: references[feature])
        }
        return summary
    }

    /// The status distribution of sensor `sensor` over `span` as of `nowMs`, without the feature
    /// statistics: what the anomaly-rate rule needs for every reading, at a fraction of the cost.
    /// - Complexity: O(`span.bucketCount`).
    public func statusCounts(sensor: Int, span: WindowSpan, nowMs: Int64) -> WindowStatusCounts {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        var summary = WindowStatusCounts(span: span)
        guard windows.contains(span) else { return summary }
        let ringCount = span.bucketCount
        let newest = WindowStore.floorDivide(nowMs, span.bucketMs)
        let oldest = newest - ringCount.wide + 1
        let first = sensor * bucketsPerSensor + spanOffsets[Int(span.rawValue)]
        for slot in 0..<ringCount {
            let bucket = buckets[first + slot]
            guard bucket.number >= oldest && bucket.number <= newest else { continue }
            summary.normalCount = Bucket.saturatingAdd(summary.normalCount, bucket.normalCount)
            summary.warningCount = Bucket.saturatingAdd(summary.warningCount, bucket.warningCount)
            summary.alertCount = Bucket.saturatingAdd(summary.alertCount, bucket.alertCount)
            summary.anomalyCount = Bucket.saturatingAdd(summary.anomalyCount, bucket.anomalyCount)
        }
        return summary
    }

    /// `floor(value / divisor)` for `divisor > 0` (timestamps before 1970 round down too).
    @inline(__always)
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
