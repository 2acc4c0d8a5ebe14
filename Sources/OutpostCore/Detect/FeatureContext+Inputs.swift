extension FeatureContext {
    /// The context input `kind` for a new value `value` (core units) at `timestampMs`, from the
    /// history before it (`count` values folded in; the sensor's previous reading at
    /// `previousMs`), in the core's 3-decimal scale: milli-σ for `.zScore`, core units per second
    /// for `.rate`, core units for `.lag1` and `.value`.
    ///
    /// Without history: z-score 0 (also during the warm-up), rate 0 (also when the timestamp is not
    /// after the previous reading's), and lag 1 is the value itself.
    ///
    /// - Complexity: O(1) (the z-score takes one 32-step integer square root).
    @inline(__always)
    public func input(_ kind: ContextKind, value: Int32, timestampMs: Int64, count: UInt8, previousMs: Int64) -> Int32 {
        switch kind {
        case .value:
            return value
        case .zScore:
            if count < FeatureContext.warmUpCount { return 0 }
            let deviation = FeatureContext.clamp(value.wide, FeatureContext.valueLimit) &* 16 &- meanQ4.wide
            // |deviation| < 2^32 and × 1000 stays below 2^42.
            let milli = deviation &* 1000 / sigmaQ4
            return Int32(truncatingIfNeeded: FeatureContext.clamp(milli, FeatureContext.zLimitMilli))
        case .rate:
            if count == 0 || timestampMs <= previousMs { return 0 }
            let (elapsedMs, overflow) = timestampMs.subtractingReportingOverflow(previousMs)
            if overflow { return 0 }
            // |Δ| < 2^32 and × 1000 < 2^42: no overflow; the quotient saturates to Int32.
            let change = value.wide &- previous.wide
            return (change &* 1000 / elapsedMs).saturatingInt32
        case .lag1:
            return count == 0 ? value : previous
        }
    }

    /// The running σ in Q4 (⌊√(variance × 256)⌋), at least `sigmaFloorQ4`.
    ///
    /// Why a floating-point root: the operand is below 2^40, exact as a Double, and IEEE 754's
    /// square root is correctly rounded on every target, so the floor (checked and corrected by
    /// integer squares) is the same bits everywhere; it is a few times faster than 32 rounds of
    /// the bitwise root, and the z-score needs one per input.
    /// - Complexity: O(1).
    @inline(__always)
    public var sigmaQ4: Int64 {
        let operand = variance.wide &<< 8
        var root = Int64(Double(operand).squareRoot())
        // At most one step either way: the rounded root of an exact operand is within 1 of the floor.
        if root &* root > operand { root &-= 1 }
        if (root &+ 1) &* (root &+ 1) <= operand { root &+= 1 }
        return max(root, FeatureContext.sigmaFloorQ4)
    }

    /// Folds `value` (core units) into the history, which held `count` values before it.
    ///
    /// Welford's update with weight 1/n, n = min(count + 1, horizonCount): mean += d/n and
    /// variance += (d × (d − d/n) − variance)/n, in integers (division truncates toward zero),
    /// d in Q4 and the product taken back to core units² (>> 8). After the warm-up d is clipped
    /// to ±`clipSigma` σ for the mean and to ±`varianceClipSigmaHalves`/2 σ for the variance.
    /// Why two limits: a deviation clipped at c σ moves the variance toward c² σ², so any c > 1
    /// makes σ grow during a long anomaly (by (1 + (c² − 1)/64) per reading) and the anomaly
    /// fade from the z-scores; at 1.5 σ a 30-reading anomaly widens σ by about a third, while a
    /// real change of the sensor's noise is still learnt within a few horizons.
    ///
    /// - Complexity: O(1).
    @inline(__always)
    public mutating func fold(_ value: Int32, count: UInt8) {
        let clamped = FeatureContext.clamp(value.wide, FeatureContext.valueLimit)
        previous = value
        if count == 0 {
            meanQ4 = Int32(truncatingIfNeeded: clamped &* 16)
            variance = 0
            return
        }
        let deviation = FeatureContext.clamp(clamped &* 16 &- meanQ4.wide, 0xFFFF_FFFF)
        var forMean = deviation
        var forVariance = deviation
        if count >= FeatureContext.warmUpCount {
            let sigma = sigmaQ4
            forMean = FeatureContext.clamp(deviation, FeatureContext.clipSigma &* sigma)
            forVariance = FeatureContext.clamp(deviation, FeatureContext.varianceClipSigmaHalves &* sigma / 2)
        }
        let n = min(count, FeatureContext.horizonCount - 1).wide &+ 1
        // The mean moves toward a value within ±2^31 (Q4): it stays in Int32.
        meanQ4 = Int32(truncatingIfNeeded: meanQ4.wide &+ forMean / n)
        // |forVariance| < 2^32: the product is below 2^64 as unsigned, taken back to Q0.
        let product = Int64(bitPattern: (forVariance.magnitude &* (forVariance &- forVariance / n).magnitude) &>> 8)
        var next = variance.wide &+ (product &- variance.wide) / n
        if next < 0 { next = 0 }
        variance = next > 4_294_967_295 ? UInt32.max : UInt32(truncatingIfNeeded: next)
    }

    /// `value` clamped to ±`limit` (`limit` ≥ 0).
    @inline(__always)
    static func clamp(_ value: Int64, _ limit: Int64) -> Int64 { min(max(value, -limit), limit) }

    /// ⌊√value⌋, bit by bit: 32 rounds, exact for every UInt64.
    /// - Complexity: O(1).
    public static func squareRoot(_ value: UInt64) -> Int64 {
        var remainder = value
        var root: UInt64 = 0
        var bit: UInt64 = 1 &<< 62
        // At most 32 rounds: `bit` moves two places each time.
        for _ in 0..<32 {
            if bit == 0 { break }
            if remainder >= root &+ bit {
                remainder &-= root &+ bit
                root = (root &>> 1) &+ bit
            } else {
                root &>>= 1
            }
            bit &>>= 2
        }
        return Int64(bitPattern: root)
    }
}
