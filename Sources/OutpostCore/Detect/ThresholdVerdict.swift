/// The threshold detector's verdict on one reading.
public struct ThresholdVerdict: BitwiseCopyable, Sendable, Equatable {
    /// Most urgent debounced level over all features (absent features keep their last level).
    public var status: Status
    /// Feature behind `status` (the first most urgent one by feature index), or nil when normal.
    public var feature: Feature?
    /// Value of that feature and the bound it crossed (core units). For a rate breach the value is
    /// the measured change per second and the bound is the rule's `rateMaxPerSecond`.
    public var value: Int32
    public var bound: Int32
    /// A critical limit is crossed (no debounce): the feature, its value and the limit.
    public var criticalFeature: Feature?
    public var criticalValue: Int32
    public var criticalBound: Int32

    public static let normal = ThresholdVerdict(
        status: .normal, feature: nil, value: 0, bound: 0, criticalFeature: nil, criticalValue: 0, criticalBound: 0)
}
