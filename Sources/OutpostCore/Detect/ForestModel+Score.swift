extension ForestModel {
    /// The score s = 2^(−E[h]/c(ψ)) in Q16 (65535 ≈ 1) of a path sum, all in integers:
    /// E[h]/c(ψ) = pathSum / (T × cPsiQ16) as y in Q16, then `Exp2.negativeQ16`.
    ///
    /// - Complexity: O(1): one 64-bit division.
    public static func scoreQ16(pathSum: Int64, treeCount: Int, cPsiQ16: UInt32) -> UInt16 {
        UInt16(truncatingIfNeeded: min(exactScoreQ16(pathSum: pathSum, treeCount: treeCount, cPsiQ16: cPsiQ16), 65535))
    }

    /// As `scoreQ16` but in 0...65536 (65536 = exactly 1), for the confidence arithmetic.
    static func exactScoreQ16(pathSum: Int64, treeCount: Int, cPsiQ16: UInt32) -> UInt32 {
        precondition(treeCount > 0 && treeCount <= treeLimit && cPsiQ16 > 0, "tree count or c(psi) out of range")
        if pathSum <= 0 { return 65536 }
        // T ≤ 2^10 and cPsiQ16 < 2^32: the denominator is below 2^42.
        let denominator = treeCount.wide &* cPsiQ16.wide
        // y ≥ 17 rounds to 0 in Q16; stopping here also keeps pathSum × 65536 below 2^63.
        if pathSum / 17 >= denominator { return 0 }
        let yQ16 = (pathSum &* 65536 &+ denominator / 2) / denominator
        return Exp2.negativeQ16(yQ16)
    }

    /// The full verdict for a path sum: score, the exact integer decision, and the confidence.
    ///
    /// Confidence (Q16) of an anomaly is 0.5 + 0.5 × (s − s_thr) / (1 − s_thr), clamped to
    /// [0.5, 1]; the clamp covers rows the exact path-sum decision flags while their rounded
    /// score sits a hair under the threshold score.
    ///
    /// - Complexity: O(1).
    public func verdict(pathSum: Int64) -> ForestScore {
        let exact = ForestModel.exactScoreQ16(pathSum: pathSum, treeCount: treeCount, cPsiQ16: cPsiQ16)
        let score = UInt16(truncatingIfNeeded: min(exact, 65535))
        guard pathSum <= pathSumThreshold else {
            return ForestScore(scoreQ16: score, anomaly: false, confidenceQ16: 0)
        }
        let threshold = thresholdScoreQ16.wide
        var confidence: Int64 = 32768
        if threshold < 65536 {
            confidence += 32768 * (exact.wide - threshold) / (65536 - threshold)
        }
        confidence = min(max(confidence, 32768), 65535)
        return ForestScore(scoreQ16: score, anomaly: true, confidenceQ16: UInt16(truncatingIfNeeded: confidence))
    }
}
