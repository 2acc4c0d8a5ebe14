extension ForestBuilder {
    /// Starts a build from the `sample`'s rows into `image`. False (nothing started) when the
    /// sample has fewer than `minimumRows` rows, more rows than the scratch holds, no inputs, or
    /// the image cannot hold the largest forest of these inputs. The sample must not change
    /// until the build is over (`RetrainSample.frozen`).
    ///
    /// - Complexity: O(rows) (the row order is reset).
    public mutating func start(sample: RetrainSample, into image: UnsafeMutableRawBufferPointer, profile: StaticString, seed: UInt64,
        contaminationQ16: UInt32 = ForestBuilder.defaultContaminationQ16
    ) -> Bool {
        guard let order, sample.count >= ForestBuilder.minimumRows, sample.count <= sampleCapacity, sample.featureCount > 0,
            let base = image.baseAddress, image.count >= imageBytesMax(features: sample.featureCount)
        else { return false }
        precondition(contaminationQ16 < 65536, "contamination out of [0, 1)")
        self.image = base
        imageCapacity = image.count
        rows = sample.row(0)
        rowStride = sample.featureCapacity
        rowCount = sample.count
        featureCount = sample.featureCount
        self.seed = seed
        self.contaminationQ16 = contaminationQ16
        psi = min(ForestBuilder.sampleSizeMax, rowCount)
        heightLimit = 0
        // ψ ≤ 256: at most 8 rounds.
        while (1 &<< heightLimit) < psi { heightLimit &+= 1 }
        for i in 0..<rowCount { order[i] = UInt16(truncatingIfNeeded: i) }
        tree = 0
        nodeCount = 0
        stackCount = 0
        scoredRows = 0
        scorer = nil
        byteCount = 0
        writeHead(profile: profile, entries: sample.featureEntries)
        phase = .growing
        return true
    }

    /// Does up to `budget` units of work (a node grown, a sample row scored); true once the image
    /// is complete (`phase` `.done`), false while work remains or after a failure.
    ///
    /// - Complexity: O(budget × ψ × features) for growing; O(budget × trees × depth) for scoring.
    public mutating func step(budget: Int) -> Bool {
        precondition(budget >= 1, "a step does some work")
        // One unit per round.
        for _ in 0..<budget {
            switch phase {
            case .growing:
                if stackCount == 0 {
                    if tree == treeCount {
                        finishGrowth()
                        continue
                    }
                    startTree()
                }
                growNode()
            case .scoring:
                scoreRow()
            case .idle, .done, .failed:
                return phase == .done
            }
        }
        return phase == .done
    }

    /// Runs a whole build in one go (`start`, then `step` until done). False when it could not start or failed.
    /// - Complexity: O(trees × ψ × log ψ × features + rows × trees × depth).
    public mutating func build(sample: RetrainSample, into image: UnsafeMutableRawBufferPointer, profile: StaticString, seed: UInt64,
        contaminationQ16: UInt32 = ForestBuilder.defaultContaminationQ16
    ) -> Bool {
        guard start(sample: sample, into: image, profile: profile, seed: seed, contaminationQ16: contaminationQ16) else { return false }
        // Every step does 4096 units; the work is bounded by nodeCapacity + rowCount + trees + 1 units.
        for _ in 0...(nodeCapacity &+ rowCount &+ treeCount) / 4096 &+ 1 where step(budget: 4096) { return true }
        return phase == .done
    }

    /// Drops a build under way (its image is left half written and unused).
    /// - Complexity: O(1).
    public mutating func cancel() { phase = .idle }

    /// Draws tree `tree`'s ψ rows (the first ψ of `order` after a partial shuffle) and queues its root.
    mutating func startTree() {
        let order = self.order!
        random = LearnRandom(seed: seed, stream: UInt64(bitPattern: tree.wide))
        // ψ rounds.
        for position in 0..<psi {
            let pick = position &+ Int(truncatingIfNeeded: Int64(bitPattern: random.below(UInt64(bitPattern: (rowCount &- position).wide))))
            let held = order[position]
            order[position] = order[pick]
            order[pick] = held
        }
        storeUInt32(UInt32(truncatingIfNeeded: nodeCount), at: rootsOffset &+ tree &* 4)
        stack[0] = BuildFrame(low: 0, high: Int32(truncatingIfNeeded: psi), depth: 0, patch: -1)
        stackCount = 1
    }

    /// Grows the node on top of the stack: a leaf, or a split whose two children are queued
    /// (the left one on top, so the tree is written in pre-order).
    mutating func growNode() {
        let order = self.order!
        let rows = self.rows!
        stackCount &-= 1
        let frame = stack[stackCount]
        let index = nodeCount
        if frame.patch >= 0 {
            // The left subtree of the split at `patch` is complete: this node is its right child.
            let offset = index &- Int(frame.patch)
            storeUInt16(UInt16(truncatingIfNeeded: offset), at: nodeOffset(Int(frame.patch)) &+ 2)
        }
        let low = Int(frame.low)
        let high = Int(frame.high)
        let depth = Int(frame.depth)
        let size = high &- low
        // A split needs itself, two children, a node for every queued one and a root for every
        // tree after this one: without that room the node stays a leaf, so the forest always fits.
        let room = nodeCapacity &- nodeCount &- 3 &- stackCount &- (treeCount &- tree &- 1) >= 0
        if depth >= heightLimit || size <= 1 || !room {
            writeLeaf(index, depth: depth, size: size)
            return
        }
        var lows = InlineArray<64, Int32>(repeating: Int32.max)
        var highs = InlineArray<64, Int32>(repeating: Int32.min)
        // size ≤ ψ rows × featureCount inputs.
        for position in low..<high {
            let row = rows + Int(truncatingIfNeeded: order[position]) &* rowStride
            for f in 0..<featureCount {
                let value = row[f]
                if value < lows[f] { lows[f] = value }
                if value > highs[f] { highs[f] = value }
            }
        }
        var candidates = 0
        for f in 0..<featureCount where lows[f] < highs[f] { candidates &+= 1 }
        if candidates == 0 {
            writeLeaf(index, depth: depth, size: size)
            return
        }
        var pick = Int(truncatingIfNeeded: Int64(bitPattern: random.below(UInt64(bitPattern: candidates.wide))))
        var feature = 0
        // The pick-th feature not constant here.
        for f in 0..<featureCount where lows[f] < highs[f] {
            if pick == 0 {
                feature = f
                break
            }
            pick &-= 1
        }
        let spanLow = lows[feature].wide
        let span = UInt64(bitPattern: highs[feature].wide &- spanLow)
        // A threshold in [low, high − 1]: both sides get a row.
        let threshold = Int32(truncatingIfNeeded: spanLow &+ Int64(bitPattern: random.below(span)))
        var boundary = low
        for position in low..<high {
            let row = rows + Int(truncatingIfNeeded: order[position]) &* rowStride
            if row[feature] <= threshold {
                let held = order[boundary]
                order[boundary] = order[position]
                order[position] = held
                boundary &+= 1
            }
        }
        let node = nodeOffset(index)
        storeUInt16(UInt16(truncatingIfNeeded: feature), at: node)
        storeUInt16(0, at: node &+ 2)
        storeInt32(threshold, at: node &+ 4)
        nodeCount &+= 1
        let child = Int32(truncatingIfNeeded: depth &+ 1)
        stack[stackCount] = BuildFrame(low: Int32(truncatingIfNeeded: boundary), high: frame.high, depth: child, patch: Int32(truncatingIfNeeded: index))
        stack[stackCount &+ 1] = BuildFrame(low: frame.low, high: Int32(truncatingIfNeeded: boundary), depth: child, patch: -1)
        stackCount &+= 2
    }

    /// A leaf at `index`: h = depth + c(size) in Q16; the tree is done when nothing is queued.
    mutating func writeLeaf(_ index: Int, depth: Int, size: Int) {
        let node = nodeOffset(index)
        storeUInt16(ForestModel.leafFeature, at: node)
        storeUInt16(0, at: node &+ 2)
        let h = depth.wide &* 65536 &+ PathLength.cQ16(size).wide
        storeInt32(Int32(truncatingIfNeeded: h), at: node &+ 4)
        nodeCount &+= 1
        if stackCount == 0 { tree &+= 1 }
    }
}
