import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest

/// Rolling windows: exact statistics against a `Double` computation, bucket expiry and coverage,
/// the status distribution, late readings, fixed memory, sensor independence and large values.
final class WindowStoreTests: XCTestCase {
    /// A timestamp that is a whole number of every span's buckets (and of hours), so bucket edges
    /// fall on round offsets from it.
    static let baseMs: Int64 = 472_222 * 3_600_000

    private var memory: [UnsafeMutableRawPointer] = []

    override func tearDown() {
        for block in memory { block.deallocate() }
        memory.removeAll()
        super.tearDown()
    }

    private func makeStore(windows: WindowSet = .all, sensors: Int = 2) -> WindowStore {
        let bytes = WindowStore.arenaBytes(after: 0, windows: windows, sensorCapacity: sensors)
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 16), alignment: 16)
        memory.append(block)
        var arena = Arena(base: block, sizeBytes: bytes)
        let store = WindowStore(arena: &arena, windows: windows, sensorCapacity: sensors)
        XCTAssertEqual(arena.usedBytes, bytes, "arenaBytes must match what init carves")
        return store
    }

    private func vector(_ feature: Feature, _ value: Int32) -> FeatureVector {
        var vector = FeatureVector()
        vector[feature] = value
        return vector
    }

    /// The statistics the store must produce, computed naively in `Double` from the raw values.
    private func expected(_ values: [Int32]) -> FeatureStats {
        if values.isEmpty { return .empty }
        let n = Double(values.count)
        let sum = values.reduce(0.0) { $0 + Double($1) }
        let mean = sum / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return FeatureStats(
            count: UInt32(values.count), mean: Int32(mean.rounded()),
            standardDeviation: Int32(variance.squareRoot().rounded()), minimum: values.min()!,
            maximum: values.max()!)
    }

    // MARK: Statistics

    func testStatisticsMatchDoubleComputationForRandomData() {
        var random = SplitMix(seed: 1)
        // An array, not a dictionary: its order (and so the random stream) is fixed.
        let ranges: [(Feature, ClosedRange<Int32>)] = [
            (.temperature, -20_000...60_000), (.humidity, 0...100_000), (.pressure, 950_000...1_050_000),
            (.vibration, 0...8_000), (.power, 0...500_000),
        ]
        for trial in 0..<20 {
            var store = makeStore()
            var values: [Feature: [Int32]] = [:]
            let count = 1 + Int(random.next() % 400)
            let lastMs = Self.baseMs + 3_599_999
            for _ in 0..<count {
                // Anywhere in the last minute, in any order: every span covers all of them.
                let timestampMs = lastMs - Int64(random.next() % 50_000)
                var features = FeatureVector()
                for (feature, range) in ranges where random.next() % 5 != 0 {
                    let value = range.lowerBound + Int32(truncatingIfNeeded: Int64(random.next() % UInt64(range.upperBound - range.lowerBound + 1)))
                    features[feature] = value
                    values[feature, default: []].append(value)
                }
                store.record(sensor: 1, timestampMs: timestampMs, features: features, status: .normal, anomaly: false)
            }
            for spanIndex in 0..<WindowSpan.count {
                let span = WindowSpan.at(spanIndex)!
                let summary = store.summary(sensor: 1, span: span, nowMs: lastMs)
                XCTAssertEqual(summary.readingCount, UInt32(count))
                for (feature, _) in ranges {
                    XCTAssertEqual(summary.features[feature.index], expected(values[feature] ?? []), "trial \(trial) \(feature) \(span)")
                }
            }
            XCTAssertEqual(store.summary(sensor: 0, span: .oneHour, nowMs: lastMs).readingCount, 0, "other sensor untouched")
        }
    }

    func testMeanRoundsHalfAwayFromZero() {
        // Means of x.5 and -x.5 exactly, on both sides of the reference value (the first reading).
        let cases: [([Int32], Int32)] = [([10, 11], 11), ([-10, -11], -11), ([11, 10], 11), ([-11, -10], -11), ([0, 1], 1), ([0, -1], -1), ([5, 4, 4, 4], 4)]
        for (values, mean) in cases {
            var store = makeStore(windows: .short, sensors: 1)
            for value in values {
                store.record(sensor: 0, timestampMs: Self.baseMs, features: vector(.temperature, value), status: .normal, anomaly: false)
            }
            let stats = store.summary(sensor: 0, span: .oneMinute, nowMs: Self.baseMs).features[Feature.temperature.index]
            XCTAssertEqual(stats.mean, mean, "\(values)")
            XCTAssertEqual(stats, expected(values))
        }
    }

    func testLargePressureValuesWithoutOverflow() {
        var store = makeStore(windows: .all, sensors: 1)
        var random = SplitMix(seed: 3)
        var values: [Int32] = []
        // 36 000 readings (10 per second for an hour) around 1 000 000 dPa, with excursions to 0
        // and to 2 000 000 dPa (the critical limit): the sums stay exact.
        for index in 0..<36_000 {
            var value = Int32(1_000_000 + Int(random.next() % 40_001) - 20_000)
            if index % 1_000 == 999 { value = index % 2000 == 999 ? 2_000_000 : 0 }
            values.append(value)
            store.record(sensor: 0, timestampMs: Self.baseMs + Int64(index) * 100, features: vector(.pressure, value), status: .normal, anomaly: false)
        }
        let lastMs = Self.baseMs + 35_999 * 100
        let stats = store.summary(sensor: 0, span: .oneHour, nowMs: lastMs).features[Feature.pressure.index]
        XCTAssertFalse(stats.saturated)
        XCTAssertEqual(stats, expected(values))
    }

    func testExtremeSpreadSaturatesInsteadOfTrapping() {
        var store = makeStore(windows: .short, sensors: 1)
        // Reference Int32.max, then Int32.min: each deviation squared exceeds Int64.
        for index in 0..<10 {
            let value = index % 2 == 0 ? Int32.max : Int32.min
            store.record(sensor: 0, timestampMs: Self.baseMs + Int64(index), features: vector(.power, value), status: .normal, anomaly: false)
        }
        let stats = store.summary(sensor: 0, span: .oneMinute, nowMs: Self.baseMs + 10).features[Feature.power.index]
        XCTAssertTrue(stats.saturated)
        XCTAssertEqual(stats.count, 10)
        XCTAssertEqual(stats.minimum, Int32.min)
        XCTAssertEqual(stats.maximum, Int32.max)
        XCTAssertGreaterThanOrEqual(stats.mean, stats.minimum)
        XCTAssertLessThanOrEqual(stats.mean, stats.maximum)
        XCTAssertGreaterThanOrEqual(stats.standardDeviation, 0)
    }

    // MARK: Time

    func testReadingOneMinuteLaterEvictsTheOldMinute() {
        var store = makeStore(windows: .short, sensors: 1)
        store.record(sensor: 0, timestampMs: Self.baseMs, features: vector(.temperature, 10_000), status: .normal, anomaly: false)
        let laterMs = Self.baseMs + 61_000
        store.record(sensor: 0, timestampMs: laterMs, features: vector(.temperature, 30_000), status: .warning, anomaly: false)
        let minute = store.summary(sensor: 0, span: .oneMinute, nowMs: laterMs)
        XCTAssertEqual(minute.features[Feature.temperature.index], expected([30_000]))
        XCTAssertEqual(minute.normalCount, 0)
        XCTAssertEqual(minute.warningCount, 1)
        let fiveMinutes = store.summary(sensor: 0, span: .fiveMinutes, nowMs: laterMs)
        XCTAssertEqual(fiveMinutes.features[Feature.temperature.index], expected([10_000, 30_000]))
        // Nothing left in either window once both have moved past.
        XCTAssertEqual(store.summary(sensor: 0, span: .fiveMinutes, nowMs: laterMs + 300_000).readingCount, 0)
        XCTAssertEqual(store.summary(sensor: 0, span: .oneMinute, nowMs: laterMs + 60_000).features[0], .empty)
    }

    func testEachSpanCoversItsBuckets() {
        for spanIndex in 0..<WindowSpan.count {
            let span = WindowSpan.at(spanIndex)!
            var store = makeStore(windows: .all, sensors: 1)
            store.record(sensor: 0, timestampMs: Self.baseMs, features: vector(.humidity, 50_000), status: .normal, anomaly: false)
            // The bucket starting at baseMs is in the window until its start leaves (t − span, t].
            XCTAssertEqual(store.summary(sensor: 0, span: span, nowMs: Self.baseMs + span.spanMs - 1).readingCount, 1, "\(span)")
            XCTAssertEqual(store.summary(sensor: 0, span: span, nowMs: Self.baseMs + span.spanMs).readingCount, 0, "\(span)")
            // Not yet visible before it starts.
            XCTAssertEqual(store.summary(sensor: 0, span: span, nowMs: Self.baseMs - 1).readingCount, 0, "\(span)")
        }
    }

    func testRingHoldsOneReadingPerBucketOverTwoRounds() {
        for spanIndex in 0..<WindowSpan.count {
            let span = WindowSpan.at(spanIndex)!
            var store = makeStore(windows: .all, sensors: 1)
            var values: [Int32] = []
            for bucket in 0..<(2 * span.bucketCount) {
                let value = Int32(1_000 * bucket)
                values.append(value)
                let timestampMs = Self.baseMs + Int64(bucket) * span.bucketMs + 7
                store.record(sensor: 0, timestampMs: timestampMs, features: vector(.vibration, value), status: .normal, anomaly: false)
                // Always the newest `bucketCount` buckets (fewer at the start).
                let summary = store.summary(sensor: 0, span: span, nowMs: timestampMs)
                let window = Array(values.suffix(span.bucketCount))
                XCTAssertEqual(summary.features[Feature.vibration.index], expected(window), "\(span) bucket \(bucket)")
            }
        }
    }

    func testLateReadingsAreIgnoredAndOutOfOrderOnesKept() {
        var store = makeStore(windows: .short, sensors: 1)
        let nowMs = Self.baseMs + 600_000
        store.record(sensor: 0, timestampMs: nowMs, features: vector(.temperature, 20_000), status: .normal, anomaly: false)
        // 50 s back: inside the 1-minute ring (its oldest bucket starts 50 s before now's bucket).
        store.record(sensor: 0, timestampMs: nowMs - 50_000, features: vector(.temperature, 10_000), status: .normal, anomaly: false)
        XCTAssertEqual(store.lateReadings, 0)
        // 61 s back: too old for the minute ring, still fine for 5 minutes.
        store.record(sensor: 0, timestampMs: nowMs - 61_000, features: vector(.temperature, 5_000), status: .alert, anomaly: true)
        XCTAssertEqual(store.lateReadings, 1)
        // 10 minutes back: too old for both.
        store.record(sensor: 0, timestampMs: nowMs - 600_000, features: vector(.temperature, 0), status: .normal, anomaly: false)
        XCTAssertEqual(store.lateReadings, 3)
        let minute = store.summary(sensor: 0, span: .oneMinute, nowMs: nowMs)
        XCTAssertEqual(minute.features[Feature.temperature.index], expected([20_000, 10_000]))
        XCTAssertEqual(minute.alertCount, 0)
        let five = store.summary(sensor: 0, span: .fiveMinutes, nowMs: nowMs)
        XCTAssertEqual(five.features[Feature.temperature.index], expected([20_000, 10_000, 5_000]))
        XCTAssertEqual(five.alertCount, 1)
        XCTAssertEqual(five.anomalyCount, 1)
    }

    func testTimestampsBeforeTheEpochUseFloorBuckets() {
        var store = makeStore(windows: .short, sensors: 1)
        // −1 ms and 0 ms fall into different 10 s buckets (−1 and 0).
        store.record(sensor: 0, timestampMs: -1, features: vector(.temperature, 1_000), status: .normal, anomaly: false)
        store.record(sensor: 0, timestampMs: 0, features: vector(.temperature, 3_000), status: .normal, anomaly: false)
        XCTAssertEqual(store.summary(sensor: 0, span: .oneMinute, nowMs: 0).features[0], expected([1_000, 3_000]))
        XCTAssertEqual(store.summary(sensor: 0, span: .oneMinute, nowMs: -1).features[0], expected([1_000]))
        // At 50 s the bucket of −1 ms (start −10 s) has left (t − 60 s, t].
        XCTAssertEqual(store.summary(sensor: 0, span: .oneMinute, nowMs: 50_000).features[0], expected([3_000]))
    }

    // MARK: Status distribution, sensors, memory

    func testStatusDistribution() {
        var store = makeStore(windows: .all, sensors: 1)
        var random = SplitMix(seed: 5)
        var counts = [0, 0, 0]
        var anomalies = 0
        for index in 0..<1_000 {
            let status = Status(rawValue: UInt8(random.next() % 3))!
            let anomaly = random.next() % 7 == 0
            counts[Int(status.rawValue)] += 1
            if anomaly { anomalies += 1 }
            store.record(sensor: 0, timestampMs: Self.baseMs + Int64(index) * 10, features: FeatureVector(), status: status, anomaly: anomaly)
        }
        let summary = store.summary(sensor: 0, span: .oneMinute, nowMs: Self.baseMs + 9_990)
        XCTAssertEqual(summary.normalCount, UInt32(counts[0]))
        XCTAssertEqual(summary.warningCount, UInt32(counts[1]))
        XCTAssertEqual(summary.alertCount, UInt32(counts[2]))
        XCTAssertEqual(summary.anomalyCount, UInt32(anomalies))
        XCTAssertEqual(summary.readingCount, 1_000)
        // Readings without features count in the distribution but in no feature.
        XCTAssertEqual(summary.features[0], .empty)
        // The counts-only query agrees, for every span and at a time when part has expired.
        for spanIndex in 0..<WindowSpan.count {
            let span = WindowSpan.at(spanIndex)!
            for nowMs in [Self.baseMs + 9_990, Self.baseMs + span.spanMs - 1, Self.baseMs + span.spanMs] {
                let full = store.summary(sensor: 0, span: span, nowMs: nowMs)
                let counts = store.statusCounts(sensor: 0, span: span, nowMs: nowMs)
                XCTAssertEqual(counts.normalCount, full.normalCount)
                XCTAssertEqual(counts.warningCount, full.warningCount)
                XCTAssertEqual(counts.alertCount, full.alertCount)
                XCTAssertEqual(counts.anomalyCount, full.anomalyCount)
                XCTAssertEqual(counts.span, span)
            }
        }
        XCTAssertEqual(store.statusCounts(sensor: 0, span: .oneMinute, nowMs: Self.baseMs + 70_000).readingCount, 0)
    }

    func testTwoSensorsAreIndependent() {
        var shared = makeStore(windows: .all, sensors: 2)
        var alone = [makeStore(windows: .all, sensors: 1), makeStore(windows: .all, sensors: 1)]
        var random = SplitMix(seed: 11)
        var timestampMs = Self.baseMs
        for _ in 0..<5_000 {
            let sensor = Int(random.next() % 2)
            timestampMs += Int64(random.next() % 2_000)
            var features = FeatureVector()
            features[.temperature] = Int32(truncatingIfNeeded: Int64(random.next() % 40_000))
            if sensor == 1 { features[.power] = Int32(truncatingIfNeeded: Int64(random.next() % 100_000)) }
            let status = Status(rawValue: UInt8(random.next() % 3))!
            shared.record(sensor: sensor, timestampMs: timestampMs, features: features, status: status, anomaly: sensor == 0)
            alone[sensor].record(sensor: 0, timestampMs: timestampMs, features: features, status: status, anomaly: sensor == 0)
        }
        for sensor in 0..<2 {
            for spanIndex in 0..<WindowSpan.count {
                let span = WindowSpan.at(spanIndex)!
                let a = shared.summary(sensor: sensor, span: span, nowMs: timestampMs)
                let b = alone[sensor].summary(sensor: 0, span: span, nowMs: timestampMs)
                XCTAssertGreaterThan(a.readingCount, 0)
                XCTAssertEqual(a.readingCount, b.readingCount)
                XCTAssertEqual(a.anomalyCount, b.anomalyCount)
                for feature in 0..<Feature.count { XCTAssertEqual(a.features[feature], b.features[feature]) }
            }
        }
    }

    func testHighRateKeepsMemoryFixedAndAllocatesNothing() {
        var store = makeStore(windows: .all, sensors: 4)
        let readings = 200_000
        var random = SplitMix(seed: 13)
        var inLastMinute = 0
        let lastMs = Self.baseMs + Int64(readings - 1)
        let oldestMinuteBucket = (lastMs / 10_000 - 5) * 10_000
        var sink: Int64 = 0
        malloc_counter_start()
        // One reading per millisecond for 200 s, with summaries along the way.
        for index in 0..<readings {
            var features = FeatureVector()
            features[.vibration] = Int32(truncatingIfNeeded: Int64(random.next() % 5_000))
            let timestampMs = Self.baseMs + Int64(index)
            store.record(sensor: index & 3, timestampMs: timestampMs, features: features, status: .normal, anomaly: false)
            if index & 3 == 0 && timestampMs >= oldestMinuteBucket { inLastMinute += 1 }
            if index % 1_000 == 0 {
                sink &+= Int64(store.summary(sensor: 0, span: .oneHour, nowMs: timestampMs).features[3].mean)
            }
        }
        let allocations = malloc_counter_stop()
        XCTAssertEqual(allocations, 0, "record and summary must not allocate")
        XCTAssertNotEqual(sink, 0)
        // The minute window holds exactly the readings of its six buckets.
        XCTAssertEqual(store.summary(sensor: 0, span: .oneMinute, nowMs: lastMs).readingCount, UInt32(inLastMinute))
        XCTAssertEqual(store.summary(sensor: 0, span: .oneHour, nowMs: lastMs).readingCount, UInt32(readings / 4))
    }

    func testSpanOutsideTheSetIsEmpty() {
        var store = makeStore(windows: .short, sensors: 1)
        store.record(sensor: 0, timestampMs: Self.baseMs, features: vector(.temperature, 1), status: .alert, anomaly: true)
        let hour = store.summary(sensor: 0, span: .oneHour, nowMs: Self.baseMs)
        XCTAssertEqual(hour.span, .oneHour)
        XCTAssertEqual(hour.readingCount, 0)
        XCTAssertEqual(hour.features[0], .empty)
        XCTAssertEqual(store.summary(sensor: 0, span: .fiveMinutes, nowMs: Self.baseMs).readingCount, 1)
    }

    func testFootprintPerSensorAndProfiles() {
        XCTAssertEqual(MemoryLayout<WindowStore.Accumulator>.stride, 32, "bucket budget: 32 bytes per feature")
        XCTAssertEqual(MemoryLayout<WindowStore.Bucket>.stride, 24)
        let perSensorAll = WindowStore.arenaBytes(after: 0, windows: .all, sensorCapacity: 1)
        XCTAssertEqual(perSensorAll, 43 * (24 + 5 * 32) + MemoryLayout<WindowStore.SensorState>.stride)
        // The store alone leaves room for the rest of each profile's state.
        func share<P: Profile>(_ profile: P.Type) -> Double {
            Double(WindowStore.arenaBytes(after: 0, windows: P.windows, sensorCapacity: P.sensorCapacity)) / Double(P.footprintLimitBytes)
        }
        XCTAssertLessThan(share(ProfileLow.self), 0.75)
        XCTAssertLessThan(share(ProfileMedium.self), 0.8)
        XCTAssertLessThan(share(ProfileHigh.self), 0.8)
        XCTAssertLessThan(share(ProfileTest.self), 0.8)
        // Arena accounting after an unaligned offset.
        let block = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { block.deallocate() }
        var arena = Arena(base: block, sizeBytes: 65_536)
        _ = arena.carve(5, of: UInt8(0))
        let expectedBytes = WindowStore.arenaBytes(after: arena.usedBytes, windows: .short, sensorCapacity: 3)
        _ = WindowStore(arena: &arena, windows: .short, sensorCapacity: 3)
        XCTAssertEqual(arena.usedBytes, expectedBytes)
    }
}

/// SplitMix64: a small seeded generator, so the random tests are reproducible.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}
