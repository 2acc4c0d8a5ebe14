/// Grows an Isolation Forest (Liu, Ting, Zhou 2008) on fixed-point inputs.
///
/// Per tree: ψ rows drawn without replacement; at each node a feature drawn uniformly among those
/// not constant in the node, and a split drawn uniformly between the node's minimum and maximum of
/// it; growth stops at the height limit ⌈log₂ ψ⌉, at one sample, or when every feature is constant.
/// A leaf stores h = depth + c(size) in Q16.
///
/// Training runs on the same fixed-point values the model will read (`value × 10^d`), so a real
/// split t is stored as ⌊t⌋ in those units and partitions the training rows exactly as the stored
/// tree does. Each tree has its own random stream (seed, tree number): the forest is a function of
/// the inputs and the seed alone.
public struct IsolationForestTrainer {
    public struct Options: Equatable {
        /// Number of trees (1...1024, the format's limit).
        public var trees = 100
        /// Rows per tree ψ (2...32768; the right-child offset is 16 bits, and a subtree of ψ
        /// samples has at most 2ψ − 1 nodes).
        public var sampleSize = 256
        /// Seed of the subsampling and the splits.
        public var seed: UInt64 = 1

        public init() {}
    }

    /// Largest ψ (so that a tree's right-child offsets fit 16 bits).
    public static let sampleSizeLimit = 32_768

    /// Trains on `inputs`: `rowCount` rows of `featureCount` fixed-point values, row-major.
    /// - Complexity: O(trees × ψ × (log ψ) × featureCount).
    public static func train(inputs: [Int32], rowCount: Int, featureCount: Int, options: Options) -> TrainedForest {
        precondition(featureCount >= 1 && featureCount <= 64, "feature count out of range")
        precondition(rowCount >= 2, "at least two rows are needed")
        precondition(inputs.count == rowCount * featureCount, "inputs must be rowCount × featureCount")
        precondition(options.trees >= 1 && options.trees <= 1024, "tree count out of range")
        precondition(options.sampleSize >= 2 && options.sampleSize <= sampleSizeLimit, "sample size out of range")
        let psi = min(options.sampleSize, rowCount)
        var heightLimit = 0
        while (1 << heightLimit) < psi { heightLimit += 1 }
        var grower = TreeGrower(inputs: inputs, featureCount: featureCount, heightLimit: heightLimit)
        // A permutation of all rows; the first ψ entries after a partial shuffle are a uniform
        // sample without replacement, whatever order earlier trees left behind.
        var permutation = Array(0..<rowCount)
        var roots: [Int] = []
        for tree in 0..<options.trees {
            var random = Xoshiro256StarStar(seed: options.seed, stream: UInt64(tree))
            for position in 0..<psi {
                let pick = position + random.below(rowCount - position)
                permutation.swapAt(position, pick)
            }
            var sample = Array(permutation[0..<psi])
            roots.append(grower.nodes.count)
            grower.grow(&sample, 0..<psi, depth: 0, random: &random)
        }
        return TrainedForest(
            featureCount: featureCount, sampleSize: psi, heightLimit: heightLimit, nodes: grower.nodes, roots: roots)
    }
}
