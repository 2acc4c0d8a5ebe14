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

/// The recursive part of training: appends one tree's nodes in pre-order.
struct TreeGrower {
    let inputs: [Int32]
    let featureCount: Int
    let heightLimit: Int
    var nodes: [TrainedNode] = []

    init(inputs: [Int32], featureCount: Int, heightLimit: Int) {
        self.inputs = inputs
        self.featureCount = featureCount
        self.heightLimit = heightLimit
    }

    /// Grows the subtree of the rows `rows[range]` at `depth`, reordering them in place.
    /// Recursion depth is bounded by the height limit (≤ 15).
    /// - Complexity: O(size × featureCount) for this node, plus its children.
    mutating func grow(_ rows: inout [Int], _ range: Range<Int>, depth: Int, random: inout Xoshiro256StarStar) {
        precondition(!range.isEmpty, "a node holds at least one sample")
        precondition(depth <= heightLimit, "grown past the height limit")
        let size = range.count
        if depth >= heightLimit || size <= 1 {
            nodes.append(.leaf(pathLengthQ16: Self.pathLengthQ16(depth: depth, size: size)))
            return
        }
        // Features not constant in this node, with their ranges.
        var candidates: [(feature: Int, low: Int32, high: Int32)] = []
        for feature in 0..<featureCount {
            var low = Int32.max
            var high = Int32.min
            for position in range {
                let value = inputs[rows[position] * featureCount + feature]
                low = min(low, value)
                high = max(high, value)
            }
            if low < high { candidates.append((feature, low, high)) }
        }
        if candidates.isEmpty {
            nodes.append(.leaf(pathLengthQ16: Self.pathLengthQ16(depth: depth, size: size)))
            return
        }
        let chosen = candidates[random.below(candidates.count)]
        let split = Double(chosen.low) + random.uniform() * (Double(chosen.high) - Double(chosen.low))
        // ⌊split⌋, kept in [low, high − 1] so that both sides get at least one sample even when
        // rounding pushed `split` onto `high`.
        let threshold = min(max(Int32(split.rounded(.down)), chosen.low), chosen.high - 1)
        // Partition: rows with value ≤ threshold first.
        var boundary = range.lowerBound
        for position in range where inputs[rows[position] * featureCount + chosen.feature] <= threshold {
            rows.swapAt(boundary, position)
            boundary += 1
        }
        precondition(boundary > range.lowerBound && boundary < range.upperBound, "a split must divide the samples")
        let index = nodes.count
        nodes.append(TrainedNode(feature: chosen.feature, rightOffset: 0, value: threshold))
        grow(&rows, range.lowerBound..<boundary, depth: depth + 1, random: &random)
        let rightOffset = nodes.count - index
        precondition(rightOffset >= 2 && rightOffset <= 0xFFFF, "right-child offset must fit 16 bits")
        nodes[index].rightOffset = rightOffset
        grow(&rows, boundary..<range.upperBound, depth: depth + 1, random: &random)
    }

    /// h = depth + c(size) in Q16, rounded half away from zero.
    static func pathLengthQ16(depth: Int, size: Int) -> Int32 {
        Int32(((Double(depth) + Math.averagePathLength(size)) * 65536).rounded(.toNearestOrAwayFromZero))
    }
}
