// Rules per quantity and sensor-name pattern over the profile's rules (`ThresholdOverride`):
// resolved once per sensor (when it is first seen, and for all when the overrides change), so a
// reading costs one byte load per feature more.

extension ThresholdDetector {
    /// Most overrides the detector holds.
    public var overrideCapacity: Int { overrides.count }

    /// The override `index` in force (0..<overrideCount).
    public func override(_ index: Int) -> ThresholdOverride {
        precondition(index >= 0 && index < overrideCount, "override index out of range")
        return overrides[index]
    }

    /// The rule in force for `sensor` and `feature`: its override, or the profile's.
    public func rule(sensor: Int, feature: Feature) -> FeatureRule {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        return rule(at: sensor * Feature.count + feature.index)
    }

    @inline(__always)
    func rule(at stateIndex: Int) -> FeatureRule {
        let choice = choices[stateIndex]
        if choice == ThresholdDetector.noOverride { return rules.features[stateIndex % Feature.count] }
        return overrides[Int(choice)].rule
    }

    /// Replaces the overrides with `list` (at most `overrideCapacity`; checked by the caller) and
    /// resolves them again for the sensors `sensors` holds. Each sensor's debounce and hysteresis
    /// state stays: its next reading is judged by the new rules.
    /// - Complexity: O(list + sensors × list × 32).
    public mutating func setOverrides(_ list: UnsafeBufferPointer<ThresholdOverride>, sensors: SensorTable) {
        precondition(list.count <= overrides.count, "more overrides than the detector holds")
        for i in 0..<list.count {
            precondition(list[i].rule.hysteresis >= 0, "hysteresis must not be negative")
            if let rate = list[i].rule.rateMaxPerSecond { precondition(rate >= 0, "rate bound must not be negative") }
            overrides[i] = list[i]
        }
        overrideCount = list.count
        for sensor in 0..<sensors.count { resolve(sensor: sensor, name: sensors.name(at: sensor)) }
    }

    /// Chooses, per feature, the most specific override matching `name` for `sensor` (the first
    /// given among equals), or the profile's rule.
    /// - Complexity: O(overrides × 32).
    public mutating func resolve(sensor: Int, name: SensorName) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        let base = sensor * Feature.count
        for feature in 0..<Feature.count { choices[base + feature] = ThresholdDetector.noOverride }
        if overrideCount == 0 { return }
        var best = InlineArray<5, Int>(repeating: -1)
        for i in 0..<overrideCount {
            guard let rank = overrides[i].specificity(for: name) else { continue }
            let feature = overrides[i].feature.index
            if rank > best[feature] {
                best[feature] = rank
                choices[base + feature] = UInt8(truncatingIfNeeded: i)
            }
        }
    }
}
