/// Fixed-point threshold detector: per-feature bounds, rate-of-change bound, hysteresis and
/// N-consecutive debounce, with per-sensor state carved from the arena.
///
/// Per feature the instantaneous level is alert when the value is strictly beyond an alert bound,
/// else warning when strictly beyond a warning bound or changing faster than the rate bound, else
/// normal. Hysteresis is measured against the *reported* level: while a level is reported, its
/// bound is moved inward by `hysteresis`, so a value hovering at the bound keeps the level instead
/// of flapping. Debounce: a level above the reported one is reported only after `debounceCount`
/// consecutive readings at that level or above; a lower level (including normal) is reported at
/// once. A single spike therefore never reaches the output when `debounceCount > 1`.
///
/// Critical limits use the same hysteresis but no debounce.
public struct ThresholdDetector {
    public let rules: ThresholdRules
    /// Most sensors the detector holds state for (dense indices 0..<sensorCapacity).
    public let sensorCapacity: Int
    /// State per sensor and feature, sensor-major: index `sensor * Feature.count + feature.index`.
    @usableFromInline let states: UnsafeMutableBufferPointer<FeatureState>
    /// Rules that replace `rules` for the sensors matching their patterns (`setOverrides`).
    @usableFromInline let overrides: UnsafeMutableBufferPointer<ThresholdOverride>
    /// Overrides in force (0..<overrides.count).
    public internal(set) var overrideCount = 0
    /// Per sensor and feature (as `states`), the override in force, or `ThresholdDetector.noOverride`.
    @usableFromInline let choices: UnsafeMutableBufferPointer<UInt8>
    /// The `choices` entry of a feature that follows `rules`.
    public static let noOverride: UInt8 = 0xFF

    /// A detector for `sensorCapacity` sensors, with room for `overrideCapacity` (< 255) overrides.
    public init(arena: inout Arena, rules: ThresholdRules, sensorCapacity: Int, overrideCapacity: Int = 0) {
        precondition(sensorCapacity > 0, "the detector needs room for at least one sensor")
        precondition(rules.debounceCount >= 1, "debounceCount must be at least 1")
        for index in 0..<Feature.count {
            let rule = rules.features[index]
            precondition(rule.hysteresis >= 0, "hysteresis must not be negative")
            if let rate = rule.rateMaxPerSecond { precondition(rate >= 0, "rate bound must not be negative") }
        }
        self.rules = rules
        self.sensorCapacity = sensorCapacity
        states = arena.carve(sensorCapacity * Feature.count, of: FeatureState.initial)
        precondition(overrideCapacity >= 0 && overrideCapacity < Int(ThresholdDetector.noOverride), "override capacity out of range")
        overrides = arena.carve(overrideCapacity, of: ThresholdOverride(pattern: SensorName(), isPrefix: true, feature: .temperature, rule: FeatureRule()))
        choices = arena.carve(sensorCapacity * Feature.count, of: ThresholdDetector.noOverride)
    }

    /// Arena bytes the detector takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, sensorCapacity: Int, overrideCapacity: Int = 0) -> Int {
        let afterStates = Arena.bytes(after: offset, sensorCapacity * Feature.count, of: FeatureState.self)
        let afterOverrides = Arena.bytes(after: afterStates, overrideCapacity, of: ThresholdOverride.self)
        return Arena.bytes(after: afterOverrides, sensorCapacity * Feature.count, of: UInt8.self)
    }

    /// The state of `feature` of sensor `sensor` (for tests and diagnostics).
    public func state(sensor: Int, feature: Feature) -> FeatureState {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        return states[sensor * Feature.count + feature.index]
    }

    /// Evaluates the reading of sensor `sensor` and updates its state.
    ///
    /// Present features are re-evaluated; absent ones keep their level and still count towards
    /// the verdict (their last value is reported).
    /// - Complexity: O(`Feature.count`).
    public mutating func evaluate(sensor: Int, timestampMs: Int64, features: FeatureVector) -> ThresholdVerdict {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        let base = sensor * Feature.count
        for index in 0..<Feature.count where features.presentMask & (1 &<< UInt8(truncatingIfNeeded: index)) != 0 {
            ThresholdDetector.update(
                &states[base + index], value: features.values[index], timestampMs: timestampMs,
                rule: rule(at: base + index), debounceCount: rules.debounceCount)
        }
        return verdict(base: base)
    }

    /// Combines the per-feature states of one sensor into its verdict.
    /// - Complexity: O(`Feature.count`).
    func verdict(base: Int) -> ThresholdVerdict {
        var verdict = ThresholdVerdict.normal
        for index in 0..<Feature.count {
            let state = states[base + index]
            // Strictly greater: the first feature by index wins among the most urgent.
            if state.level > verdict.status {
                verdict.status = state.level
                verdict.feature = Feature.at(index)
                verdict.value = state.reportedValue
                verdict.bound = state.reportedBound
            }
            if state.isCritical && verdict.criticalFeature == nil {
                let rule = rule(at: base + index)
                // The breach was found with the hysteresis slack, so the same test names its side.
                let limit = ThresholdDetector.crossed(
                    state.lastValue, below: rule.criticalBelow, above: rule.criticalAbove, slack: rule.hysteresis)
                verdict.criticalFeature = Feature.at(index)
                verdict.criticalValue = state.lastValue
                verdict.criticalBound = limit ?? 0
            }
        }
        return verdict
    }
}
