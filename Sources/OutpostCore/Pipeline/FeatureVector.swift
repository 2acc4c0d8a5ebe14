/// The five feature values of a reading, each in its core fixed-point unit (see `Feature.decimals`),
/// with a bit mask of which ones are present.
public struct FeatureVector: BitwiseCopyable, Sendable, Equatable {
    /// Values indexed by `Feature.index`; an absent feature holds 0.
    public var values: InlineArray<5, Int32>
    /// Bit `f.index` set when feature `f` is present.
    public var presentMask: UInt8

    /// An empty vector: no feature present.
    public init() {
        values = InlineArray(repeating: 0)
        presentMask = 0
    }

    /// The value of `feature`, or nil when absent.
    @inline(__always)
    public subscript(feature: Feature) -> Int32? {
        get { isPresent(feature) ? values[feature.index] : nil }
        set {
            if let value = newValue {
                values[feature.index] = value
                presentMask |= 1 &<< feature.rawValue
            } else {
                values[feature.index] = 0
                presentMask &= ~(1 &<< feature.rawValue)
            }
        }
    }

    /// True when `feature` has a value.
    @inline(__always)
    public func isPresent(_ feature: Feature) -> Bool { presentMask & (1 &<< feature.rawValue) != 0 }

    public static func == (a: FeatureVector, b: FeatureVector) -> Bool {
        if a.presentMask != b.presentMask { return false }
        for i in 0..<Feature.count where a.values[i] != b.values[i] { return false }
        return true
    }
}
