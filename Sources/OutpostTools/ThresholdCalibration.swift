/// Picks a model's decision threshold: from a contamination share of the training rows, or from a
/// fixed score (docs/MODEL_FORMAT.md, "Constants and the score").
public enum ThresholdCalibration {
    /// s = 2^(−E[h]/c(ψ)) for a path sum, with E[h] = pathSum / (T · 65536) and c(ψ) = cPsiQ16 / 65536.
    public static func score(pathSum: Int64, treeCount: Int, cPsiQ16: UInt32) -> Double {
        precondition(treeCount >= 1 && cPsiQ16 > 0, "bad forest constants")
        let meanPath = Double(pathSum) / (Double(treeCount) * 65536)
        return Math.exp2(-meanPath / (Double(cPsiQ16) / 65536))
    }

    /// The threshold for a fixed score `s` in (0, 1]: pathSum = ⌊−c(ψ) · log₂ s · T · 65536⌋.
    public static func threshold(score s: Double, treeCount: Int, cPsiQ16: UInt32) -> ModelEncoder.Threshold {
        precondition(s > 0 && s <= 1, "score threshold out of (0, 1]")
        let pathSum = (-(Double(cPsiQ16) / 65536) * Math.log2(s) * Double(treeCount) * 65536).rounded(.down)
        return ModelEncoder.Threshold(
            scoreQ16: UInt32((s * 65536).rounded(.toNearestOrAwayFromZero)), pathSum: Int64(pathSum))
    }

    /// The path-sum threshold that flags the share `contamination` of rows with these path sums:
    /// the k-th smallest path sum (k = round(q · n)), or the next smaller distinct value when ties
    /// at the k-th would overshoot further than that undershoots. Equivalent to the (1 − q)
    /// quantile of the scores, as the score falls strictly with the path sum.
    /// - Complexity: O(n log n).
    public static func threshold(pathSums: [Int64], contamination q: Double, treeCount: Int, cPsiQ16: UInt32) -> ModelEncoder.Threshold {
        precondition(!pathSums.isEmpty, "no path sums")
        precondition(q > 0 && q < 1, "contamination out of (0, 1)")
        let sorted = pathSums.sorted()
        let n = sorted.count
        let k = min(n, Int((q * Double(n)).rounded(.toNearestOrAwayFromZero)))
        let pathSum: Int64
        if k == 0 {
            pathSum = sorted[0] - 1
        } else {
            let atK = sorted[k - 1]
            let flaggedAtK = upperBound(sorted, atK)  // rows ≤ atK, at least k
            let below = lowerBound(sorted, atK)  // rows < atK, fewer than k
            pathSum = (flaggedAtK - k) <= (k - below) || below == 0 ? atK : sorted[below - 1]
        }
        let s = score(pathSum: pathSum, treeCount: treeCount, cPsiQ16: cPsiQ16)
        return ModelEncoder.Threshold(scoreQ16: UInt32(min(65536, (s * 65536).rounded(.toNearestOrAwayFromZero))), pathSum: pathSum)
    }

    /// Number of elements of sorted `values` that are ≤ `value`.
    static func upperBound(_ values: [Int64], _ value: Int64) -> Int {
        var low = 0
        var high = values.count
        // Binary search: the range halves each pass.
        while low < high {
            let middle = (low + high) / 2
            if values[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Number of elements of sorted `values` that are < `value`.
    static func lowerBound(_ values: [Int64], _ value: Int64) -> Int {
        var low = 0
        var high = values.count
        // Binary search: the range halves each pass.
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
