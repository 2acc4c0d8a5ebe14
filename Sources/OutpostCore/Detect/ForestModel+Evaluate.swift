extension ForestModel {
    /// Rows the batched walk moves through each tree together.
    ///
    /// Why 8: a single walk is a chain of dependent loads (node → input → compare → next node),
    /// so the CPU mostly waits. Eight independent chains keep its load ports busy while fitting
    /// the lane state in registers.
    public static let batchLanes = 8

    /// Slots per lane in the batched walk's input copy: 64 features, padded to 128 so that a
    /// leaf's feature 0xFFFF masked with 127 reads slot 127, which holds Int32.max.
    @usableFromInline static let laneStride = 128

    /// Σ over trees of the h (Q16) of the leaf each tree sends the sample to.
    ///
    /// `inputs` points at `featureCount` model-scaled values (`input × 10^decimals`).
    ///
    /// - Complexity: O(treeCount × (maxDepth + 1)) node visits; no checks (validated at load).
    public func pathSum(inputs: UnsafePointer<Int32>) -> Int64 {
        let nodes = self.nodes
        let roots = self.roots
        let stepLimit = maxDepth + 1
        var sum: Int64 = 0
        for tree in 0..<treeCount {
            let root = Int(truncatingIfNeeded: ForestModel.loadUInt32(roots, tree &* 4))
            var node = nodes + root &* 8
            // A walk ends at a leaf within maxDepth + 1 visits (validated); the limit makes it explicit.
            for _ in 0..<stepLimit {
                let word = ForestModel.loadUInt32(node, 0)
                let value = ForestModel.loadInt32(node, 4)
                let feature = Int(truncatingIfNeeded: word & 0xFFFF)
                if feature == 0xFFFF {
                    sum &+= value.wide
                    break
                }
                let right = Int(truncatingIfNeeded: word &>> 16)
                node += (inputs[feature] <= value ? 1 : right) &* 8
            }
        }
        return sum
    }

    /// The forest's verdict on one sample of `featureCount` model-scaled inputs.
    ///
    /// - Complexity: as `pathSum(inputs:)`, plus O(1) for the score.
    public func score(inputs: UnsafePointer<Int32>) -> ForestScore {
        verdict(pathSum: pathSum(inputs: inputs))
    }

    /// Scores `count` samples stored row-major (`count × featureCount` inputs) into `scores`,
    /// identical to calling `score(inputs:)` on each row.
    ///
    /// Rows go through each tree `batchLanes` at a time, interleaved, so the CPU overlaps their
    /// loads. Rows left over (count mod `batchLanes`) take the single-sample walk.
    ///
    /// - Complexity: O(count × treeCount × (maxDepth + 1)).
    public func scoreBatch(inputs: UnsafePointer<Int32>, count: Int, into scores: UnsafeMutablePointer<ForestScore>) {
        precondition(count >= 0, "negative row count")
        let lanes = ForestModel.batchLanes
        let stride = ForestModel.laneStride
        // Each lane's inputs padded with Int32.max: a parked leaf compares Int32.max ≤ h, false
        // (h < Int32.max is validated), and takes its `right` offset of 0, so it stays put.
        var padded = InlineArray<1024, Int32>(repeating: Int32.max)
        let fullBatches = count / lanes
        var mutable = padded.mutableSpan
        mutable.withUnsafeMutableBufferPointer { buffer in
            let lanesBase = buffer.baseAddress!
            // The loop's limit is the row count.
            for batch in 0..<fullBatches {
                let firstRow = batch &* lanes
                for lane in 0..<lanes {
                    let row = inputs + (firstRow &+ lane) &* featureCount
                    (lanesBase + lane &* stride).update(from: row, count: featureCount)
                }
                let sums = pathSums8(lanes: UnsafePointer(lanesBase))
                for lane in 0..<lanes {
                    scores[firstRow &+ lane] = verdict(pathSum: sums[lane])
                }
            }
        }
        // The loop's limit is the remainder, fewer than `lanes` rows.
        for row in (fullBatches &* lanes)..<count {
            scores[row] = score(inputs: inputs + row &* featureCount)
        }
    }

    /// Path sums of 8 samples whose inputs sit at `lanes + k × laneStride` (k = 0..<8), slot 127 of
    /// each holding Int32.max.
    ///
    /// Per tree, every lane takes one step per round, branch-free: a split moves by 1 or `right`,
    /// a leaf by 0. Rounds stop when no lane moved or after maxDepth rounds (every leaf reached).
    ///
    /// - Complexity: O(treeCount × maxDepth × 8).
    @inline(__always)
    func pathSums8(lanes: UnsafePointer<Int32>) -> InlineArray<8, Int64> {
        let nodes = self.nodes
        let roots = self.roots
        let rounds = maxDepth
        let stride = ForestModel.laneStride
        let in0 = lanes, in1 = lanes + stride, in2 = lanes + 2 &* stride, in3 = lanes + 3 &* stride
        let in4 = lanes + 4 &* stride, in5 = lanes + 5 &* stride, in6 = lanes + 6 &* stride
        let in7 = lanes + 7 &* stride
        var s0: Int64 = 0, s1: Int64 = 0, s2: Int64 = 0, s3: Int64 = 0
        var s4: Int64 = 0, s5: Int64 = 0, s6: Int64 = 0, s7: Int64 = 0
        for tree in 0..<treeCount {
            let root = nodes + Int(truncatingIfNeeded: ForestModel.loadUInt32(roots, tree &* 4)) &* 8
            var n0 = root, n1 = root, n2 = root, n3 = root, n4 = root, n5 = root, n6 = root, n7 = root
            // At most maxDepth rounds: after them every lane stands on a leaf (validated depth).
            for _ in 0..<rounds {
                let d0 = ForestModel.step(n0, in0), d1 = ForestModel.step(n1, in1)
                let d2 = ForestModel.step(n2, in2), d3 = ForestModel.step(n3, in3)
                let d4 = ForestModel.step(n4, in4), d5 = ForestModel.step(n5, in5)
                let d6 = ForestModel.step(n6, in6), d7 = ForestModel.step(n7, in7)
                n0 += d0; n1 += d1; n2 += d2; n3 += d3; n4 += d4; n5 += d5; n6 += d6; n7 += d7
                if (d0 | d1 | d2 | d3 | d4 | d5 | d6 | d7) == 0 { break }
            }
            s0 &+= ForestModel.loadInt32(n0, 4).wide; s1 &+= ForestModel.loadInt32(n1, 4).wide
            s2 &+= ForestModel.loadInt32(n2, 4).wide; s3 &+= ForestModel.loadInt32(n3, 4).wide
            s4 &+= ForestModel.loadInt32(n4, 4).wide; s5 &+= ForestModel.loadInt32(n5, 4).wide
            s6 &+= ForestModel.loadInt32(n6, 4).wide; s7 &+= ForestModel.loadInt32(n7, 4).wide
        }
        return [s0, s1, s2, s3, s4, s5, s6, s7]
    }

    /// Byte distance from `node` to where a sample with `inputs` goes next: 8 (left), 8 × right,
    /// or 0 at a leaf (its feature 0xFFFF masks to slot 127 = Int32.max, and its right is 0).
    @inline(__always)
    static func step(_ node: UnsafeRawPointer, _ inputs: UnsafePointer<Int32>) -> Int {
        let word = loadUInt32(node, 0)
        let value = loadInt32(node, 4)
        let x = inputs[Int(truncatingIfNeeded: word & 127)]
        let right = Int(truncatingIfNeeded: word &>> 16)
        return (x <= value ? 1 : right) &* 8
    }
}
