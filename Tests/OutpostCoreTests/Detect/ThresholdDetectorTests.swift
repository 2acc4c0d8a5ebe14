import OutpostCore
import OutpostProfiles
import XCTest

/// The threshold detector against the reference rules: strict bounds, critical limits, hysteresis,
/// debounce, the rate bound, absent features and sensor independence.
final class ThresholdDetectorTests: XCTestCase {
    private var memory: [UnsafeMutableRawPointer] = []

    override func tearDown() {
        for block in memory { block.deallocate() }
        memory.removeAll()
        super.tearDown()
    }

    /// A detector over its own arena, sized exactly by `arenaBytes`.
    private func makeDetector(rules: ThresholdRules, sensors: Int = 4) -> ThresholdDetector {
        let bytes = ThresholdDetector.arenaBytes(after: 0, sensorCapacity: sensors)
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 16), alignment: 16)
        memory.append(block)
        var arena = Arena(base: block, sizeBytes: bytes)
        let detector = ThresholdDetector(arena: &arena, rules: rules, sensorCapacity: sensors)
        XCTAssertEqual(arena.usedBytes, bytes, "arenaBytes must match what init carves")
        return detector
    }

    private func rules(debounce: UInt8) -> ThresholdRules {
        var rules = ReferenceRules.standard
        rules.debounceCount = debounce
        return rules
    }

    private func vector(_ feature: Feature, _ value: Int32) -> FeatureVector {
        var vector = FeatureVector()
        vector[feature] = value
        return vector
    }

    // MARK: Rules of the reference table

    func testReferenceBoundsAreStrict() {
        // (feature, value, expected status, expected bound): every bound of the table, on it and one
        // unit beyond it. Each case runs on a fresh sensor so no hysteresis carries over.
        let cases: [(Feature, Int32, Status, Int32)] = [
            (.temperature, 35_000, .normal, 0), (.temperature, 35_001, .warning, 35_000),
            (.temperature, 45_000, .warning, 35_000), (.temperature, 45_001, .alert, 45_000),
            (.vibration, 2_000, .normal, 0), (.vibration, 2_001, .warning, 2_000),
            (.vibration, 3_000, .warning, 2_000), (.vibration, 3_001, .alert, 3_000),
            (.power, 50_000, .normal, 0), (.power, 49_999, .warning, 50_000),
            (.power, 20_000, .warning, 50_000), (.power, 19_999, .alert, 20_000),
            (.temperature, -40_000, .normal, 0), (.power, 1_000_000, .normal, 0),
        ]
        var detector = makeDetector(rules: rules(debounce: 1), sensors: cases.count)
        for (sensor, (feature, value, status, bound)) in cases.enumerated() {
            let verdict = detector.evaluate(sensor: sensor, timestampMs: 1_000, features: vector(feature, value))
            XCTAssertEqual(verdict.status, status, "\(feature) = \(value)")
            XCTAssertEqual(verdict.bound, bound, "\(feature) = \(value)")
            XCTAssertEqual(verdict.feature, status == .normal ? nil : feature)
            XCTAssertEqual(verdict.value, status == .normal ? 0 : value)
            XCTAssertNil(verdict.criticalFeature)
        }
    }

    func testCriticalLimitsAreStrictAndNotDebounced() {
        let cases: [(Feature, Int32, Int32)] = [
            (.temperature, 80_000, 80_000), (.pressure, 2_000_000, 2_000_000), (.humidity, 90_000, 90_000),
        ]
        // A debounce of 5: the critical limit must still be reported on the first reading.
        var detector = makeDetector(rules: rules(debounce: 5), sensors: 2 * cases.count)
        for (index, (feature, limit, _)) in cases.enumerated() {
            let atLimit = detector.evaluate(sensor: 2 * index, timestampMs: 0, features: vector(feature, limit))
            XCTAssertNil(atLimit.criticalFeature, "\(feature) at its limit is not beyond it")
            let beyond = detector.evaluate(sensor: 2 * index + 1, timestampMs: 0, features: vector(feature, limit + 1))
            XCTAssertEqual(beyond.criticalFeature, feature)
            XCTAssertEqual(beyond.criticalValue, limit + 1)
            XCTAssertEqual(beyond.criticalBound, limit)
            // The debounced level has not been reached yet.
            XCTAssertEqual(beyond.status, .normal)
        }
    }

    func testCriticalHysteresisHoldsUntilBackInside() {
        var detector = makeDetector(rules: rules(debounce: 1))
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 0, features: vector(.humidity, 90_001)).criticalFeature, .humidity)
        // Hysteresis 1 000: 89 001 still holds, 89 000 clears.
        for value: Int32 in [90_000, 89_500, 89_001, 90_000] {
            XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 1, features: vector(.humidity, value)).criticalFeature, .humidity, "\(value)")
        }
        XCTAssertNil(detector.evaluate(sensor: 0, timestampMs: 2, features: vector(.humidity, 89_000)).criticalFeature)
        XCTAssertNil(detector.evaluate(sensor: 0, timestampMs: 3, features: vector(.humidity, 90_000)).criticalFeature)
    }

    // MARK: Hysteresis

    func testHoveringValueDoesNotFlap() {
        var detector = makeDetector(rules: rules(debounce: 1))
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 0, features: vector(.temperature, 45_001)).status, .alert)
        // Hysteresis 500: anything above 44 500 keeps the alert.
        for (step, value) in [Int32(45_000), 44_600, 44_501, 45_001, 44_999, 45_000].enumerated() {
            let verdict = detector.evaluate(sensor: 0, timestampMs: Int64(step + 1), features: vector(.temperature, value))
            XCTAssertEqual(verdict.status, .alert, "value \(value)")
            XCTAssertEqual(verdict.bound, 45_000)
            XCTAssertEqual(verdict.value, value)
        }
        // Back inside by the hysteresis: down to warning (35 000 bound), at once.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 10, features: vector(.temperature, 44_500)).status, .warning)
        // Rising to the alert bound again does not re-enter alert without a strict breach.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 11, features: vector(.temperature, 45_000)).status, .warning)
        // The warning holds down to 34 501 and clears at 34 500.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 12, features: vector(.temperature, 35_000)).status, .warning)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 13, features: vector(.temperature, 34_501)).status, .warning)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 14, features: vector(.temperature, 34_500)).status, .normal)
        // From normal, 35 000 is not a breach.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 15, features: vector(.temperature, 35_000)).status, .normal)
    }

    func testHysteresisOnLowerBounds() {
        var detector = makeDetector(rules: rules(debounce: 1))
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 0, features: vector(.power, 19_999)).status, .alert)
        // Hysteresis 1 000 on power: the alert holds below 21 000.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 1, features: vector(.power, 20_999)).status, .alert)
        let warning = detector.evaluate(sensor: 0, timestampMs: 2, features: vector(.power, 21_000))
        XCTAssertEqual(warning.status, .warning)
        XCTAssertEqual(warning.bound, 50_000)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 3, features: vector(.power, 50_999)).status, .warning)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 4, features: vector(.power, 51_000)).status, .normal)
    }

    /// Random values around a bound: the reported level may change only when the value is strictly
    /// beyond the bound (raise) or back inside by the hysteresis (clear), and changes less often
    /// than the value crosses the bound.
    func testRandomHoveringChangesOnlyAtHysteresisEdges() {
        var detector = makeDetector(rules: rules(debounce: 1))
        var random = SplitMix(seed: 42)
        var previous = Status.normal
        var changes = 0
        var crossings = 0
        var wasAbove = false
        for step in 0..<20_000 {
            let value = Int32(44_000 + Int(random.next() % 1_600))  // 44.0 ... 45.599 °C
            let status = detector.evaluate(sensor: 0, timestampMs: Int64(step), features: vector(.temperature, value)).status
            if status != previous {
                changes += 1
                if status == .alert { XCTAssertGreaterThan(value, 45_000) }
                if previous == .alert { XCTAssertLessThanOrEqual(value, 44_500) }
            }
            XCTAssertNotEqual(status, .normal, "never below the warning bound")
            if (value > 45_000) != wasAbove { crossings += 1 }
            wasAbove = value > 45_000
            previous = status
        }
        XCTAssertGreaterThan(changes, 0)
        XCTAssertLessThan(changes, crossings)
    }

    /// Values that stay within the hysteresis band once an alert is raised never clear it.
    func testValuesInsideTheBandNeverFlap() {
        var detector = makeDetector(rules: rules(debounce: 1))
        var random = SplitMix(seed: 9)
        var changes = 0
        var previous = Status.normal
        for step in 0..<10_000 {
            let value = Int32(44_501 + Int(random.next() % 1_000))  // 44.501 ... 45.500 °C
            let status = detector.evaluate(sensor: 0, timestampMs: Int64(step), features: vector(.temperature, value)).status
            if status != previous { changes += 1 }
            previous = status
        }
        // normal → warning on the first reading, warning → alert on the first value above 45 °C.
        XCTAssertEqual(changes, 2)
        XCTAssertEqual(previous, .alert)
    }

    // MARK: Debounce

    func testDebounceNeedsNConsecutiveReadings() {
        for debounce in UInt8(1)...UInt8(6) {
            var detector = makeDetector(rules: rules(debounce: debounce))
            let count = Int(debounce)
            for step in 0..<(count - 1) {
                let verdict = detector.evaluate(sensor: 0, timestampMs: Int64(step), features: vector(.vibration, 3_500))
                XCTAssertEqual(verdict.status, .normal, "debounce \(debounce): breach \(step + 1) is not reported")
            }
            let verdict = detector.evaluate(sensor: 0, timestampMs: 100, features: vector(.vibration, 3_500))
            XCTAssertEqual(verdict.status, .alert, "debounce \(debounce): breach \(count) is reported")
            XCTAssertEqual(verdict.feature, .vibration)
            XCTAssertEqual(verdict.bound, 3_000)
            // Return to normal is immediate.
            XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 101, features: vector(.vibration, 500)).status, .normal)
        }
    }

    func testInterruptedBreachesRestartTheCount() {
        var detector = makeDetector(rules: rules(debounce: 3))
        let values: [Int32] = [46_000, 46_000, 30_000, 46_000, 46_000, 30_000, 46_000]
        for (step, value) in values.enumerated() {
            XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: Int64(step), features: vector(.temperature, value)).status, .normal)
        }
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 10, features: vector(.temperature, 46_000)).status, .normal)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 11, features: vector(.temperature, 46_000)).status, .alert)
    }

    func testDebounceCountsReadingsAtTheLevelOrAbove() {
        var detector = makeDetector(rules: rules(debounce: 3))
        // Warning, alert, alert: three readings at warning or above, only two at alert.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 0, features: vector(.temperature, 40_000)).status, .normal)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 1, features: vector(.temperature, 46_000)).status, .normal)
        let warning = detector.evaluate(sensor: 0, timestampMs: 2, features: vector(.temperature, 46_000))
        XCTAssertEqual(warning.status, .warning)
        XCTAssertEqual(warning.bound, 35_000)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 3, features: vector(.temperature, 46_000)).status, .alert)
        // A drop to a warning value is reported at once, and re-entering alert needs 3 again.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 4, features: vector(.temperature, 40_000)).status, .warning)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 5, features: vector(.temperature, 46_000)).status, .warning)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 6, features: vector(.temperature, 46_000)).status, .warning)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 7, features: vector(.temperature, 46_000)).status, .alert)
    }

    // MARK: Rate bound

    private func rateRules() -> ThresholdRules {
        var rules = rules(debounce: 1)
        rules.features[Feature.temperature.index].rateMaxPerSecond = 10_000
        return rules
    }

    func testRateBoundRaisesWarning() {
        var detector = makeDetector(rules: rateRules())
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 0, features: vector(.temperature, 20_000)).status, .normal)
        // Exactly 10 °C per second is allowed.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 1_000, features: vector(.temperature, 30_000)).status, .normal)
        // 5.001 °C in half a second is 10.002 °C/s.
        let fast = detector.evaluate(sensor: 0, timestampMs: 1_500, features: vector(.temperature, 24_999))
        XCTAssertEqual(fast.status, .warning)
        XCTAssertEqual(fast.feature, .temperature)
        XCTAssertEqual(fast.value, 10_002)
        XCTAssertEqual(fast.bound, 10_000)
        // The rate has no hysteresis: the next slow change is normal again.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 2_500, features: vector(.temperature, 25_000)).status, .normal)
    }

    func testRateCheckSkippedWithoutElapsedTime() {
        var detector = makeDetector(rules: rateRules())
        _ = detector.evaluate(sensor: 0, timestampMs: 10_000, features: vector(.temperature, 20_000))
        // Same timestamp, and a timestamp in the past: no rate check, only the value bounds.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 10_000, features: vector(.temperature, 34_000)).status, .normal)
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 5_000, features: vector(.temperature, 20_000)).status, .normal)
    }

    func testRateExtremesDoNotOverflow() {
        var rules = ThresholdRules()
        rules.features[Feature.pressure.index].rateMaxPerSecond = 0
        var detector = makeDetector(rules: rules)
        _ = detector.evaluate(sensor: 0, timestampMs: Int64.min, features: vector(.pressure, Int32.min))
        // Δt overflows Int64: skipped.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: Int64.max, features: vector(.pressure, Int32.max)).status, .normal)
        // Largest change in 1 ms: the rate saturates instead of trapping.
        let jump = detector.evaluate(sensor: 0, timestampMs: Int64.max - 1, features: vector(.pressure, Int32.max))
        XCTAssertEqual(jump.status, .normal, "Δt < 0: skipped")
        _ = detector.evaluate(sensor: 1, timestampMs: 0, features: vector(.pressure, Int32.min))
        let fastest = detector.evaluate(sensor: 1, timestampMs: 1, features: vector(.pressure, Int32.max))
        XCTAssertEqual(fastest.status, .warning)
        XCTAssertEqual(fastest.value, Int32.max)
        XCTAssertEqual(fastest.bound, 0)
        // A huge gap: maxRate × Δt overflows, so no rate can breach it.
        var slow = ThresholdRules()
        slow.features[Feature.pressure.index].rateMaxPerSecond = Int32.max
        var second = makeDetector(rules: slow)
        _ = second.evaluate(sensor: 0, timestampMs: 0, features: vector(.pressure, Int32.min))
        XCTAssertEqual(second.evaluate(sensor: 0, timestampMs: Int64.max, features: vector(.pressure, Int32.max)).status, .normal)
    }

    // MARK: Several features, absent features, sensors

    func testMostUrgentFeatureWinsFirstByIndexOnTies() {
        var detector = makeDetector(rules: rules(debounce: 1))
        var both = FeatureVector()
        both[.temperature] = 46_000
        both[.vibration] = 3_500
        let tie = detector.evaluate(sensor: 0, timestampMs: 0, features: both)
        XCTAssertEqual(tie.status, .alert)
        XCTAssertEqual(tie.feature, .temperature)
        var mixed = FeatureVector()
        mixed[.temperature] = 40_000
        mixed[.vibration] = 3_500
        mixed[.power] = 45_000
        let alert = detector.evaluate(sensor: 1, timestampMs: 0, features: mixed)
        XCTAssertEqual(alert.status, .alert)
        XCTAssertEqual(alert.feature, .vibration)
        XCTAssertEqual(alert.value, 3_500)
        XCTAssertEqual(alert.bound, 3_000)
    }

    func testAbsentFeaturesKeepTheirState() {
        var detector = makeDetector(rules: rateRules())
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 0, features: vector(.temperature, 46_000)).status, .alert)
        let before = detector.state(sensor: 0, feature: .temperature)
        // Readings without temperature neither clear nor change it.
        for step in 1...5 {
            let verdict = detector.evaluate(sensor: 0, timestampMs: Int64(step) * 1_000, features: vector(.humidity, 50_000))
            XCTAssertEqual(verdict.status, .alert)
            XCTAssertEqual(verdict.feature, .temperature)
            XCTAssertEqual(verdict.value, 46_000)
        }
        XCTAssertEqual(detector.state(sensor: 0, feature: .temperature), before)
        // An empty vector changes nothing either.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 9_000, features: FeatureVector()).status, .alert)
        // The rate is measured against the last temperature (46 °C at t = 0): 10 s later, 30 °C is
        // 1.6 °C/s, fine; the level clears.
        XCTAssertEqual(detector.evaluate(sensor: 0, timestampMs: 10_000, features: vector(.temperature, 30_000)).status, .normal)
    }

    func testManySensorsAreIndependent() {
        // One detector for 32 sensors against 32 single-sensor detectors fed the same streams.
        let sensors = 32
        let rules = rules(debounce: 2)
        var shared = makeDetector(rules: rules, sensors: sensors)
        var alone = (0..<sensors).map { _ in makeDetector(rules: rules, sensors: 1) }
        var random = SplitMix(seed: 7)
        var raised = 0
        for step in 0..<4_000 {
            let sensor = Int(random.next() % UInt64(sensors))
            var features = FeatureVector()
            if random.next() % 4 != 0 { features[.temperature] = Int32(30_000 + Int(random.next() % 20_000)) }
            if random.next() % 4 != 0 { features[.vibration] = Int32(1_000 + Int(random.next() % 3_000)) }
            if random.next() % 4 != 0 { features[.power] = Int32(10_000 + Int(random.next() % 60_000)) }
            if random.next() % 8 == 0 { features[.humidity] = Int32(85_000 + Int(random.next() % 10_000)) }
            let timestampMs = Int64(step) * 100
            let expected = alone[sensor].evaluate(sensor: 0, timestampMs: timestampMs, features: features)
            let verdict = shared.evaluate(sensor: sensor, timestampMs: timestampMs, features: features)
            XCTAssertEqual(verdict, expected, "sensor \(sensor) step \(step)")
            if verdict.status != .normal { raised += 1 }
        }
        XCTAssertGreaterThan(raised, 0, "the streams must exercise raised levels")
    }

    func testArenaBytesFollowAnUnalignedOffset() {
        let block = UnsafeMutableRawPointer.allocate(byteCount: 4_096, alignment: 16)
        defer { block.deallocate() }
        var arena = Arena(base: block, sizeBytes: 4_096)
        _ = arena.carve(3, of: UInt8(0))
        let expected = ThresholdDetector.arenaBytes(after: arena.usedBytes, sensorCapacity: 7)
        _ = ThresholdDetector(arena: &arena, rules: ThresholdRules(), sensorCapacity: 7)
        XCTAssertEqual(arena.usedBytes, expected)
        XCTAssertEqual(MemoryLayout<ThresholdDetector.FeatureState>.stride, 24, "per-feature state budget")
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
