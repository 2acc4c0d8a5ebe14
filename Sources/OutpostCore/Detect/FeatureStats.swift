/// Statistics of one feature over one window.
public struct FeatureStats: BitwiseCopyable, Sendable, Equatable {
    public var count: UInt32
    /// Mean, standard deviation (population), minimum and maximum in the feature's core unit,
    /// rounded half away from zero.
    public var mean: Int32
    public var standardDeviation: Int32
    public var minimum: Int32
    public var maximum: Int32
    /// True when a sum of the window saturated (values far outside any real sensor's range):
    /// mean and deviation are then approximations, clamped to [minimum, maximum] resp. ≥ 0.
    public var saturated: Bool

    public init(count: UInt32, mean: Int32, standardDeviation: Int32, minimum: Int32, maximum: Int32, saturated: Bool = false) {
        self.count = count
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.minimum = minimum
        self.maximum = maximum
        self.saturated = saturated
    }

    public static let empty = FeatureStats(count: 0, mean: 0, standardDeviation: 0, minimum: 0, maximum: 0)
}
