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
