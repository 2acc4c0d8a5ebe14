/// The threshold detector's verdict on one reading.
public struct ThresholdVerdict: BitwiseCopyable, Sendable, Equatable {
    /// Most urgent debounced level over all features.
    public var status: Status
    /// Feature behind `status` (the first most urgent one), or nil when normal.
    public var feature: Feature?
    /// Value of that feature, and the bound it crossed (core units).
    public var value: Int32
    public var bound: Int32
    /// A critical limit is crossed (no debounce): the feature, its value and the limit.
    public var criticalFeature: Feature?
    public var criticalValue: Int32
    public var criticalBound: Int32

    public static let normal = ThresholdVerdict(
        status: .normal, feature: nil, value: 0, bound: 0, criticalFeature: nil, criticalValue: 0, criticalBound: 0)
}

/// Fixed-point threshold detector: per-feature bounds, rate-of-change bound, hysteresis and
/// N-consecutive debounce, with per-sensor state carved from the arena.
public struct ThresholdDetector {
    public let rules: ThresholdRules

    /// A detector for `sensorCapacity` sensors.
    public init(arena: inout Arena, rules: ThresholdRules, sensorCapacity: Int) {
        self.rules = rules
        // STUB: replaced by the real per-sensor state.
    }

    /// Arena bytes the detector takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, sensorCapacity: Int) -> Int { offset }

    /// Evaluates the reading of sensor `sensor` and updates its state.
    public mutating func evaluate(sensor: Int, timestampMs: Int64, features: FeatureVector) -> ThresholdVerdict {
        .normal  // STUB
    }
}
