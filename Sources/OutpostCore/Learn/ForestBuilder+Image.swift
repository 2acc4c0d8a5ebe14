// The model image a build writes: header, feature table, tree table, nodes, CRC-32C trailer
// (docs/MODEL_FORMAT.md version 2), and the decision threshold from the sample's path sums.
extension ForestBuilder {
    /// Byte offset of the tree table.
    var rootsOffset: Int { ForestModel.profileHeaderSizeBytes &+ featureCount &* ForestModel.featureEntrySizeBytes }
    /// Byte offset of node `index`.
    func nodeOffset(_ index: Int) -> Int { rootsOffset &+ treeCount &* 4 &+ index &* ForestModel.nodeSizeBytes }

    func storeUInt16(_ value: UInt16, at offset: Int) { image!.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self) }
    func storeUInt32(_ value: UInt32, at offset: Int) { image!.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    func storeInt32(_ value: Int32, at offset: Int) { image!.storeBytes(of: value.littleEndian, toByteOffset: offset, as: Int32.self) }
    func storeInt64(_ value: Int64, at offset: Int) { image!.storeBytes(of: value.littleEndian, toByteOffset: offset, as: Int64.self) }

    /// The parts known before growth: magic, version 2, sizes but the node count, ψ, c(ψ), the
    /// profile name and the feature table.
    /// - Complexity: O(features).
    mutating func writeHead(profile: StaticString, entries: UnsafeRawBufferPointer) {
        let base = image!
        base.initializeMemory(as: UInt8.self, repeating: 0, count: rootsOffset)
        storeUInt32(0x4649_504F, at: 0)  // "OPIF"
        storeUInt16(ForestModel.profileFormatVersion, at: 4)
        storeUInt16(UInt16(truncatingIfNeeded: ForestModel.profileHeaderSizeBytes), at: 6)
        storeUInt16(UInt16(truncatingIfNeeded: featureCount), at: 8)
        storeUInt16(UInt16(truncatingIfNeeded: treeCount), at: 10)
        storeUInt16(UInt16(truncatingIfNeeded: psi), at: 12)
        storeUInt32(PathLength.cQ16(psi), at: 20)
        // At most 16 bytes of the name, NUL padded (zeroed above).
        for i in 0..<min(profile.utf8CodeUnitCount, 16) {
            base.storeBytes(of: profile.utf8Start[i], toByteOffset: ForestModel.headerSizeBytes &+ i, as: UInt8.self)
        }
        if let source = entries.baseAddress {
            (base + ForestModel.profileHeaderSizeBytes).copyMemory(from: source, byteCount: entries.count)
        }
    }

    /// All trees grown: the node count, a placeholder threshold (never an anomaly) and the CRC,
    /// then the image is validated like any model file and kept for scoring the sample.
    /// - Complexity: O(image bytes).
    mutating func finishGrowth() {
        storeUInt32(UInt32(truncatingIfNeeded: nodeCount), at: 16)
        storeUInt32(0, at: 24)
        storeInt64(-1, at: 32)
        byteCount = nodeOffset(nodeCount) &+ ForestModel.trailerSizeBytes
        writeChecksum()
        do {
            scorer = try ForestModel(bytes: UnsafeRawBufferPointer(start: UnsafeRawPointer(image!), count: byteCount))
            phase = .scoring
        } catch {
            phase = .failed
        }
    }

    /// The CRC-32C of everything before the trailer.
    func writeChecksum() {
        let body = byteCount &- ForestModel.trailerSizeBytes
        storeUInt32(CRC32C.checksum(UnsafeRawBufferPointer(start: UnsafeRawPointer(image!), count: body)), at: body)
    }

    /// Scores the next sample row; after the last one, sets the threshold.
    mutating func scoreRow() {
        let row = rows! + scoredRows &* rowStride
        pathSums![scoredRows] = scorer!.pathSum(inputs: row)
        scoredRows &+= 1
        if scoredRows == rowCount { finishThreshold() }
    }

    /// The threshold that flags `contaminationQ16` of the sample, chosen as the host trainer
    /// does (`ThresholdCalibration`): the k-th smallest path sum (k = round(q · n)), or the next
    /// smaller value when ties at the k-th would overshoot k further than that undershoots; the
    /// smallest minus 1 (nothing flagged) when k = 0. The score threshold is that path sum's
    /// score by the core's own arithmetic (the host rounds a Double: at most 1 Q16 unit apart).
    /// - Complexity: O(n) expected, O(n²) at worst (a selection with a middle pivot).
    mutating func finishThreshold() {
        let sums = pathSums!
        let n = rowCount
        let k = min(n, Int(truncatingIfNeeded: (contaminationQ16.wide &* n.wide &+ 32768) &>> 16))
        var threshold: Int64
        if k == 0 {
            var least = Int64.max
            for i in 0..<n where sums[i] < least { least = sums[i] }
            threshold = least &- 1
        } else {
            let atK = ForestBuilder.select(sums, count: n, rank: k &- 1)
            var atMost = 0
            var below = 0
            var belowLargest = Int64.min
            for i in 0..<n {
                let value = sums[i]
                if value <= atK { atMost &+= 1 }
                if value < atK {
                    below &+= 1
                    if value > belowLargest { belowLargest = value }
                }
            }
            threshold = (atMost &- k) <= (k &- below) || below == 0 ? atK : belowLargest
        }
        let forest = scorer!
        let score = ForestModel.exactScoreQ16(pathSum: threshold, treeCount: forest.treeCount, cPsiQ16: forest.cPsiQ16)
        storeUInt32(score, at: 24)
        storeInt64(threshold, at: 32)
        writeChecksum()
        scorer = nil
        phase = .done
    }

    /// The value of rank `rank` (0 = smallest) of `values[0..<count]`, reordering them
    /// (Hoare's selection, Lomuto partition around the middle element).
    /// - Complexity: O(count) expected, O(count²) at worst.
    static func select(_ values: UnsafeMutablePointer<Int64>, count: Int, rank: Int) -> Int64 {
        precondition(rank >= 0 && rank < count, "rank out of range")
        var low = 0
        var high = count &- 1
        // Each round puts one pivot in its final place and drops it from the range: ≤ count rounds.
        for _ in 0..<count {
            if low >= high { break }
            let middle = low &+ (high &- low) / 2
            let pivot = values[middle]
            values[middle] = values[high]
            values[high] = pivot
            var store = low
            for i in low..<high where values[i] < pivot {
                let held = values[store]
                values[store] = values[i]
                values[i] = held
                store &+= 1
            }
            values[high] = values[store]
            values[store] = pivot
            if store == rank { return pivot }
            if store < rank { low = store &+ 1 } else { high = store &- 1 }
        }
        return values[rank]
    }
}
