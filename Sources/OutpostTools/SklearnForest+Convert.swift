import OutpostCore
extension SklearnForest {
    /// Largest |split value| per input (0 for an input no tree splits on).
    var thresholdMagnitudes: [Double] {
        var result = [Double](repeating: 0, count: featureCount)
        for tree in trees {
            for i in tree.feature.indices where tree.childrenLeft[i] >= 0 {
                let f = tree.feature[i]
                if f >= 0 && f < featureCount { result[f] = max(result[f], abs(tree.threshold[i])) }
            }
        }
        return result
    }

    /// The trees in the model format's terms: each in pre-order (left child next), splits at
    /// `⌊t × 10^d⌋`, leaves at h = depth + c(n_node_samples) in Q16 — the path length
    /// sklearn's `score_samples` adds up for the leaf.
    ///
    /// - Throws: a `ToolError` for a tree that is not a proper binary tree from node 0, a split
    ///   on an input outside the model, or a leaf deeper than the format allows.
    /// - Complexity: O(nodes).
    func forest(decimals: [Int], name: String) throws(ToolError) -> TrainedForest {
        precondition(decimals.count == featureCount, "one decimals entry per input")
        var nodes: [TrainedNode] = []
        var roots: [Int] = []
        var deepest = 0
        for (t, tree) in trees.enumerated() {
            roots.append(nodes.count)
            var visited = [Bool](repeating: false, count: tree.childrenLeft.count)
            // Explicit stack of (sklearn node, depth, index of the parent split waiting for this
            // node as its right child or -1); right children are pushed first so the left one is
            // emitted next. Bounded: every node is visited at most once (checked).
            var stack: [(node: Int, depth: Int, parent: Int)] = [(0, 0, -1)]
            while let (node, depth, parent) = stack.popLast() {
                guard node >= 0, node < tree.childrenLeft.count, !visited[node] else {
                    throw ToolError("\(name): tree \(t): node \(node) is out of range or reached twice (not a tree)")
                }
                visited[node] = true
                if depth > ForestModel.depthLimit {
                    throw ToolError("\(name): tree \(t): a leaf deeper than \(ForestModel.depthLimit)")
                }
                deepest = max(deepest, depth)
                let index = nodes.count
                if parent >= 0 { nodes[parent].rightOffset = index - parent }
                let left = tree.childrenLeft[node]
                let right = tree.childrenRight[node]
                if left < 0 || right < 0 {
                    guard left < 0 && right < 0 else { throw ToolError("\(name): tree \(t): node \(node) has one child") }
                    let h = Double(depth) + Math.averagePathLength(tree.samples[node])
                    nodes.append(.leaf(pathLengthQ16: Int32((h * 65536).rounded(.toNearestOrAwayFromZero))))
                    continue
                }
                let feature = tree.feature[node]
                guard feature >= 0 && feature < featureCount else {
                    throw ToolError("\(name): tree \(t): node \(node) splits on input \(feature); the model has \(featureCount)")
                }
                nodes.append(TrainedNode(feature: feature, rightOffset: 0, value: SklearnForest.fixedThreshold(tree.threshold[node], decimals: decimals[feature])))
                stack.append((right, depth + 1, index))
                stack.append((left, depth + 1, -1))
            }
            if visited.contains(false) { throw ToolError("\(name): tree \(t): nodes unreachable from node 0") }
        }
        if nodes.count > ForestModel.nodeLimit {
            throw ToolError("\(name): \(nodes.count) nodes exceed the model format's limit of 2^24")
        }
        return TrainedForest(featureCount: featureCount, sampleSize: maxSamples, heightLimit: deepest, nodes: nodes, roots: roots)
    }

    /// `⌊t × 10^d⌋` clamped to Int32 (docs/MODEL_FORMAT.md, node table): for inputs on the 10^−d
    /// grid, `x ≤ ⌊t × 10^d⌋` exactly when `input ≤ t`.
    static func fixedThreshold(_ t: Double, decimals: Int) -> Int32 {
        let scaled = (t * Math.pow10(decimals)).rounded(.down)
        if scaled >= Double(Int32.max) { return Int32.max }
        if scaled <= Double(Int32.min) { return Int32.min }
        return Int32(scaled)
    }
}
