extension ForestModel {
    /// Scores a reading's core fixed-point features; nil when a feature the model needs is absent
    /// or the model reads an input that is not a core feature.
    ///
    /// Core values carry 3 decimals of the reference unit (°C, %RH, hPa, m/s², W); each model input
    /// with d decimals gets `v × 10^(d−3)` saturated to Int32, or `⌊v / 10^(3−d)⌋`.
    ///
    /// - Complexity: O(featureCount) for the conversion, plus `score(inputs:)`.
    public func score(core: FeatureVector) -> ForestScore? {
        var inputs = InlineArray<64, Int32>(repeating: 0)
        var mutable = inputs.mutableSpan
        let built = mutable.withUnsafeMutableBufferPointer { buffer in
            self.inputs(core: core, into: buffer.baseAddress!)
        }
        guard built else { return nil }
        return inputs.span.withUnsafeBufferPointer { buffer in
            score(inputs: buffer.baseAddress!)
        }
    }

    /// The model's input row for a reading: `featureCount` model-scaled values written to `row`.
    /// False (nothing meaningful written) when an input the model reads is absent or not a core
    /// feature. The one place a reading becomes forest inputs: scoring and the on-board learner's
    /// sample (`RetrainSample`) both go through it, so a learned model reads what the running one does.
    ///
    /// - Complexity: O(featureCount).
    @inline(__always)
    public func inputs(core: FeatureVector, into row: UnsafeMutablePointer<Int32>) -> Bool {
        guard allCore, core.presentMask & coreMask == coreMask else { return false }
        for i in 0..<featureCount {
            let value = core.values[Int(truncatingIfNeeded: coreCode[i])]
            row[i] = ForestModel.scaleCoreValue(value, by: coreScale[i])
        }
        return true
    }

    /// `value × scale` saturated to Int32 when `scale` > 0, `⌊value / −scale⌋` when `scale` < 0
    /// (Int32.min standing for a divisor of 2^31, see `coreScale(decimals:)`).
    @inline(__always)
    public static func scaleCoreValue(_ value: Int32, by scale: Int32) -> Int32 {
        precondition(scale != 0)
        if scale == 1 { return value }
        let wide = value.wide
        if scale > 0 {
            // |value| ≤ 2^31 and scale ≤ 10^6 < 2^20: the product fits 64 bits.
            return (wide * scale.wide).saturatingInt32
        }
        let divisor = -scale.wide
        let quotient = wide / divisor
        // Division truncates toward zero; step down for a negative value with a remainder (floor).
        let floored = (wide < 0 && quotient * divisor != wide) ? quotient - 1 : quotient
        return Int32(truncatingIfNeeded: floored)
    }
}
