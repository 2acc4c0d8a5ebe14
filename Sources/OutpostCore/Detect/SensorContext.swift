/// One sensor's history for the context inputs of a model: a `FeatureContext` per core quantity
/// (indexed by `Feature.rawValue`) and how many values of each were folded in. 68 bytes per sensor.
public struct SensorContext: BitwiseCopyable, Sendable {
    /// Indexed by the core feature code.
    public var features: InlineArray<5, FeatureContext>
    /// Values folded into each quantity's history, saturating at 255 (only the first
    /// `FeatureContext.horizonCount` matter).
    public var counts: InlineArray<5, UInt8>

    /// Quantities a sensor keeps history for: core feature codes below this take context inputs.
    public static let featureSlots = 5

    /// No history at all (all-zero bytes).
    public static var empty: SensorContext {
        SensorContext(features: InlineArray(repeating: .empty), counts: InlineArray(repeating: 0))
    }

    /// Input `kind` of quantity `code` for its new value `value` at `timestampMs`, the sensor's
    /// previous reading being at `previousMs` (`FeatureContext.input`).
    /// - Complexity: O(1).
    @inline(__always)
    public func input(_ kind: ContextKind, code: Int, value: Int32, timestampMs: Int64, previousMs: Int64) -> Int32 {
        features[code].input(kind, value: value, timestampMs: timestampMs, count: counts[code], previousMs: previousMs)
    }

    /// Folds every value present in `core` into its quantity's history.
    /// - Complexity: O(`featureSlots`).
    @inline(__always)
    public mutating func fold(_ core: FeatureVector) {
        for code in 0..<SensorContext.featureSlots where core.presentMask & (UInt8(1) &<< UInt8(truncatingIfNeeded: code)) != 0 {
            let count = counts[code]
            features[code].fold(core.values[code], count: count)
            if count < UInt8.max { counts[code] = count &+ 1 }
        }
    }
}
