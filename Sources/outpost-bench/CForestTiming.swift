import CForestBaseline
import OutpostCore

/// Times the C baseline evaluator of `CForestBaseline` over the same node table and inputs.
enum CForestTiming {
    /// Best nanoseconds for `count` path sums by the C walk, or nil when the C side refuses the
    /// model. The tables are found once (`forest_c_open`), as `ForestModel` finds them once at load,
    /// so both sides time the walk alone. Every C path sum is checked against `pathSum(inputs:)`.
    /// - Complexity: O(repetitions × count × trees × depth).
    static func bestNs(
        model: ForestModel, bytes: UnsafeRawBufferPointer, inputs: UnsafePointer<Int32>, count: Int,
        repetitions: Int
    ) -> Int64? {
        var table = forest_c_model()
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard forest_c_open(&table, base, UInt32(bytes.count)) == 0 else {
            note("forest: the C baseline refused the model")
            return nil
        }
        let featureCount = model.featureCount
        for row in 0..<count {
            let row = inputs + row * featureCount
            precondition(forest_c_model_path_sum(&table, row) == model.pathSum(inputs: row),
                "the C baseline and the Swift evaluator disagree")
        }
        var checksum: Int64 = 0
        let bestNs = BenchClock.bestNs(repetitions: repetitions) {
            checksum = 0
            for row in 0..<count {
                checksum &+= forest_c_model_path_sum(&table, inputs + row * featureCount)
            }
        }
        precondition(checksum != 0 || count == 0, "no path sums were computed")
        return bestNs
    }
}
