/// A threshold rule for one quantity of the sensors whose names match a pattern: it replaces the
/// profile's rule (`ThresholdRules`) for that quantity, whole (a bound it does not give is not
/// checked), for every matching sensor.
///
/// The pattern is a sensor name, or a prefix followed by `*` (`freezer-*`; `*` alone matches every
/// sensor). When several rules of one quantity match a sensor, the most specific wins: an exact
/// name before any prefix, a longer prefix before a shorter one, and among equals the first given.
public struct ThresholdOverride: BitwiseCopyable, Sendable {
    /// The name, or the prefix without its `*`.
    public var pattern: SensorName
    /// True when the pattern ended with `*`.
    public var isPrefix: Bool
    public var feature: Feature
    public var rule: FeatureRule

    public init(pattern: SensorName, isPrefix: Bool, feature: Feature, rule: FeatureRule) {
        self.pattern = pattern
        self.isPrefix = isPrefix
        self.feature = feature
        self.rule = rule
    }

    /// How well the pattern matches `name`: nil when it does not, else a rank where a larger value
    /// is more specific (exact names rank above every prefix; longer prefixes above shorter ones).
    /// - Complexity: O(pattern length) ≤ 32.
    public func specificity(for name: SensorName) -> Int? {
        let length = Int(pattern.count)
        if isPrefix {
            if length > Int(name.count) { return nil }
        } else if length != Int(name.count) {
            return nil
        }
        for i in 0..<length where pattern[i] != name[i] { return nil }
        return isPrefix ? length : SensorName.capacityBytes + 1
    }
}
