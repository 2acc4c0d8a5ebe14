/// c(n), the average path length of an unsuccessful search in a binary search tree of n keys
/// (docs/MODEL_FORMAT.md, "Constants and the score"), in integers only: the core has no libm.
///
/// c(n) = 2(ln(n − 1) + γ) − 2(n − 1)/n for n > 2, c(2) = 1, c(n) = 0 for n ≤ 1. The logarithm is
/// log₂ by repeated squaring with 30 fraction bits (each squaring gives one exact bit of the
/// fraction; truncation keeps the error below 2⁻²⁸), times ln 2 in Q30. The result in Q16 agrees
/// with the host trainer's `round(c(n) × 65536)` (Double, libm `log`) within 1 unit for every n in
/// 0...65535, and exactly but for 7 values whose c(n) × 65536 lies within 10⁻⁴ of a half (c(73)
/// among them; `PathLengthTests` counts them). A leaf's h may therefore differ from the host's by
/// 1/65536, far below any score resolution.
public enum PathLength {
    /// ln 2 × 2^30, rounded.
    static let ln2Q30: UInt64 = 744_261_118
    /// γ (Euler–Mascheroni, 0.5772156649) × 2^30, rounded.
    static let gammaQ30: UInt64 = 619_780_601

    /// round(c(n) × 65536) for 0 ≤ n ≤ 65535.
    /// - Complexity: O(1): 30 squarings.
    public static func cQ16(_ n: Int) -> UInt32 {
        precondition(n >= 0 && n <= 65535, "sample count out of 0...65535")
        if n <= 1 { return 0 }
        if n == 2 { return 65536 }
        let m = UInt64(bitPattern: n.wide)
        let lnQ30 = (log2Q30(m - 1) &* ln2Q30) &>> 30
        let ratioQ30 = ((2 &* (m - 1)) &<< 30) / m
        let cQ30 = 2 &* (lnQ30 &+ gammaQ30) &- ratioQ30
        return UInt32(truncatingIfNeeded: (cQ30 &+ (1 &<< 13)) &>> 14)
    }

    /// log₂(m) × 2^30, truncated, for 1 ≤ m < 2^32.
    ///
    /// The integer part is the position of the top bit; the fraction comes from squaring the
    /// mantissa x ∈ [1, 2) (Q30): x² ≥ 2 means the next fraction bit is 1 (then halve).
    /// - Complexity: O(1): 30 rounds.
    static func log2Q30(_ m: UInt64) -> UInt64 {
        precondition(m >= 1 && m < 0x1_0000_0000, "log2Q30 takes 1 ≤ m < 2^32")
        let whole = UInt64(bitPattern: (63 &- m.leadingZeroBitCount).wide)
        // x = m / 2^whole in Q30: below 2^31, so x² fits 64 bits.
        var x = whole <= 30 ? m &<< (30 &- whole) : m &>> (whole &- 30)
        var fraction: UInt64 = 0
        var bit: UInt64 = 1 &<< 29
        // One fraction bit per round, 30 rounds.
        for _ in 0..<30 {
            x = (x &* x) &>> 30
            if x >= (1 &<< 31) {
                x &>>= 1
                fraction |= bit
            }
            bit &>>= 1
        }
        return (whole &<< 30) | fraction
    }
}
