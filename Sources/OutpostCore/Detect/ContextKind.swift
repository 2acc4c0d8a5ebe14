/// What a model input takes from its quantity (docs/MODEL_FORMAT.md, version 3): the reading's
/// value, or a feature of the sensor's own history kept in its `FeatureContext`.
///
/// The raw values are the byte at relative offset 2 of a feature entry, fixed forever.
public enum ContextKind: UInt8, BitwiseCopyable, Sendable {
    /// The reading's value itself (all inputs of format versions 1 and 2).
    case value = 0
    /// Deviation from the sensor's own running mean in its own standard deviations, in milli-σ.
    case zScore = 1
    /// Change since the sensor's previous value of the quantity, per second.
    case rate = 2
    /// The sensor's previous value of the quantity (lag 1). Kinds 4 and 5 (lags 2 and 3) are
    /// reserved: their history would not fit the medium profile's memory (`SensorContext`).
    case lag1 = 3

    /// Previous values kept per sensor and quantity: the deepest lag.
    public static let lagLimit = 1

    /// The largest raw value a reader takes; anything above is refused.
    public static let rawLimit: UInt8 = 3

    /// Short name used by the tools (`--context z,rate,lag1`) and in messages.
    public var name: StaticString {
        switch self {
        case .value: return "value"
        case .zScore: return "z"
        case .rate: return "rate"
        case .lag1: return "lag1"
        }
    }
}
