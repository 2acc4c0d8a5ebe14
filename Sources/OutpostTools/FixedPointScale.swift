/// Chooses each model feature's decimals from the training data (docs/CSV_FORMAT.md, "Training").
///
/// Rule: the largest k in −9...9 with max|x| × 10^k ≤ 2^30. Every fixed-point training value
/// and threshold then fits an `Int32` with a factor two to spare, so readings up to twice the
/// largest training value keep their exact order, and beyond that they saturate (exactly: no
/// threshold lies above 2^30).
public enum FixedPointScale {
    /// Largest magnitude of a fixed-point training value, 2^30.
    public static let limit: Double = 1_073_741_824
    public static let decimalRange = -9...9

    /// The decimals for a column whose largest magnitude is `maxAbs`, or nil when even 10^−9
    /// cannot bring it under 2^30.
    /// - Complexity: O(1) (at most 19 tries).
    public static func decimals(maxAbs: Double) -> Int? {
        precondition(maxAbs >= 0 && maxAbs.isFinite, "maxAbs must be finite and non-negative")
        for k in decimalRange.reversed() where maxAbs * Math.pow10(k) <= limit {
            return k
        }
        return nil
    }
}
