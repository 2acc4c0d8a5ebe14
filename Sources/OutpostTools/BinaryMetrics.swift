/// Counts of a binary decision against labels, and the usual ratios.
public struct ConfusionCounts: Equatable {
    public var truePositives = 0
    public var falsePositives = 0
    public var trueNegatives = 0
    public var falseNegatives = 0

    public init() {}

    /// Tallies `predicted` against `labels` (true = anomaly).
    /// - Complexity: O(n).
    public init(predicted: [Bool], labels: [Bool]) {
        precondition(predicted.count == labels.count, "one prediction per label")
        for (prediction, label) in zip(predicted, labels) {
            switch (prediction, label) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1
            case (false, false): trueNegatives += 1
            case (false, true): falseNegatives += 1
            }
        }
    }

    /// TP / (TP + FP); nil when nothing was flagged.
    public var precision: Double? {
        let flagged = truePositives + falsePositives
        return flagged == 0 ? nil : Double(truePositives) / Double(flagged)
    }

    /// TP / (TP + FN); nil when there are no positives.
    public var recall: Double? {
        let positives = truePositives + falseNegatives
        return positives == 0 ? nil : Double(truePositives) / Double(positives)
    }

    /// Harmonic mean of precision and recall: 2TP / (2TP + FP + FN); nil when both are undefined.
    public var f1: Double? {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? nil : Double(2 * truePositives) / Double(denominator)
    }
}

/// Ranking quality of scores against labels.
public enum BinaryMetrics {
    /// Area under the ROC curve: the probability that a random positive scores above a random
    /// negative, ties counting one half (Mann–Whitney U with mid-ranks). Nil when either class is
    /// empty.
    /// - Complexity: O(n log n).
    public static func rocAUC<Score: Comparable>(scores: [Score], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "one score per label")
        let positives = labels.filter { $0 }.count
        let negatives = labels.count - positives
        if positives == 0 || negatives == 0 { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positiveRankSum = 0.0
        var start = 0
        // Groups of equal scores; each pass consumes at least one element.
        while start < order.count {
            var end = start + 1
            while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
            let midRank = Double(start + 1 + end) / 2  // average of ranks start+1 ... end
            for position in start..<end where labels[order[position]] { positiveRankSum += midRank }
            start = end
        }
        let p = Double(positives)
        return (positiveRankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }
}
