/// An Isolation Forest as grown by `IsolationForestTrainer`: every tree in pre-order, back to
/// back, exactly as it is written into the model file.
public struct TrainedForest: Equatable {
    /// Number of inputs per sample.
    public let featureCount: Int
    /// Samples each tree was grown from (ψ, at most the row count).
    public let sampleSize: Int
    /// Deepest a leaf may be: ⌈log₂ ψ⌉.
    public let heightLimit: Int
    /// All nodes; tree t occupies `roots[t] ..< roots[t + 1]` (the last one up to the end).
    public var nodes: [TrainedNode]
    /// Index of each tree's root in `nodes`.
    public var roots: [Int]

    /// c(ψ) in Q16, as the model header stores it.
    public var cPsiQ16: UInt32 { UInt32((Math.averagePathLength(sampleSize) * 65536).rounded(.toNearestOrAwayFromZero)) }

    /// Σ over trees of the leaf h (Q16) that `inputs` reach: the tools' own walk of the trained
    /// trees, used in tests as an independent check of the core evaluator.
    /// - Complexity: O(trees × height limit).
    public func pathSum(inputs: ArraySlice<Int32>) -> Int64 {
        precondition(inputs.count == featureCount, "one value per feature")
        let first = inputs.startIndex
        var sum: Int64 = 0
        for root in roots {
            var index = root
            // A walk takes at most heightLimit + 1 steps.
            for _ in 0...heightLimit {
                let node = nodes[index]
                guard let feature = node.feature else {
                    sum += Int64(node.value)
                    break
                }
                index += inputs[first + feature] <= node.value ? 1 : node.rightOffset
            }
        }
        return sum
    }
}
