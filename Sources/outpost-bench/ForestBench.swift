import OutpostCore
import OutpostProfiles

/// The forest figures: the Swift evaluator of the high profile's 100-tree model, one sample at a
/// time and batched, against the plain C baseline over the same node table and inputs.
enum ForestBench {
    static let sampleCount = 20_000

    /// Adds the forest figures to `report`, or marks them missing with the reason.
    static func run(repetitions: Int, into report: inout BenchReport) {
        let names = [
            "forest_ns_per_sample_single_t100", "forest_ns_per_sample_batch_t100", "forest_c_ns_per_sample_t100",
            "forest_swift_over_c_ratio", "forest_batch_speedup",
        ]
        guard let bytes = ProfileHigh.modelBytes else {
            for name in names { report.missing(name, reason: "no baked model for the high profile (make models)") }
            note("forest: skipped, the high profile has no baked model yet (make models)")
            return
        }
        let model: ForestModel
        do {
            model = try ForestModel(bytes: bytes)
        } catch {
            for name in names { report.missing(name, reason: "the high profile's model does not load") }
            note("forest: skipped, the high profile's baked model does not load: \(error)")
            return
        }
        if model.treeCount != 100 {
            note("forest: note, the high profile's model has \(model.treeCount) trees, not 100")
        }
        let inputs = makeInputs(model: model, count: sampleCount, seed: 11)
        defer { inputs.deallocate() }
        let scores = UnsafeMutableBufferPointer<ForestScore>.allocate(capacity: sampleCount)
        defer { scores.deallocate() }
        let featureCount = model.featureCount
        let base = UnsafePointer(inputs.baseAddress!)

        var singleChecksum = 0
        let singleNs = BenchClock.bestNs(repetitions: repetitions) {
            singleChecksum = 0
            for row in 0..<sampleCount {
                singleChecksum &+= Int(model.score(inputs: base + row * featureCount).scoreQ16)
            }
        }
        var pathSumChecksum: Int64 = 0
        let pathSumNs = BenchClock.bestNs(repetitions: repetitions) {
            pathSumChecksum = 0
            for row in 0..<sampleCount {
                pathSumChecksum &+= model.pathSum(inputs: base + row * featureCount)
            }
        }
        precondition(pathSumChecksum != 0, "no path sums were computed")
        let batchNs = BenchClock.bestNs(repetitions: repetitions) {
            model.scoreBatch(inputs: base, count: sampleCount, into: scores.baseAddress!)
        }
        var batchChecksum = 0
        for row in 0..<sampleCount { batchChecksum &+= Int(scores[row].scoreQ16) }
        precondition(batchChecksum == singleChecksum, "scoreBatch disagrees with score(inputs:)")
        var anomalies = 0
        for row in 0..<sampleCount where scores[row].anomaly { anomalies += 1 }
        note("forest: \(model.treeCount) trees, \(model.nodeCount) nodes, \(featureCount) inputs, "
            + "\(sampleCount) samples, \(anomalies) anomalies")

        let single = Double(singleNs) / Double(sampleCount)
        let batch = Double(batchNs) / Double(sampleCount)
        let pathSum = Double(pathSumNs) / Double(sampleCount)
        report.add("forest_ns_per_sample_single_t100", single)
        report.add("forest_ns_per_sample_pathsum_t100", pathSum)
        report.add("forest_ns_per_sample_batch_t100", batch)
        report.add("forest_batch_speedup", single / batch)
        if let cNs = CForestTiming.bestNs(model: model, bytes: bytes, inputs: base, count: sampleCount, repetitions: repetitions) {
            let c = Double(cNs) / Double(sampleCount)
            report.add("forest_c_ns_per_sample_t100", c)
            report.add("forest_swift_over_c_ratio", single / c)
            // The same walk without the score (exp2) on top: the like-for-like comparison.
            report.add("forest_pathsum_swift_over_c_ratio", pathSum / c)
        } else {
            report.missing("forest_c_ns_per_sample_t100", reason: "C baseline not available")
            report.missing("forest_swift_over_c_ratio", reason: "C baseline not available")
        }
    }

    /// `count` rows of `model.featureCount` model-scaled inputs from readings like the pipeline
    /// bench's (core values converted by each input's decimals, as `score(core:)` does).
    /// - Complexity: O(count × featureCount).
    static func makeInputs(model: ForestModel, count: Int, seed: UInt64) -> UnsafeMutableBufferPointer<Int32> {
        let readings = BenchReadings.make(count: count, sensorCount: 1, seed: seed)
        defer { readings.deallocate() }
        var random = BenchRandom(seed: seed &+ 1)
        let featureCount = model.featureCount
        let inputs = UnsafeMutableBufferPointer<Int32>.allocate(capacity: count * featureCount)
        for row in 0..<count {
            let features = readings.buffer[row].features
            for i in 0..<featureCount {
                let value: Int32
                if let feature = Feature(rawValue: model.featureCoreCode(i)), let core = features[feature] {
                    value = scaled(core, decimals: model.featureDecimals(i))
                } else {
                    value = random.around(0, 1_000)
                }
                inputs.initializeElement(at: row * featureCount + i, to: value)
            }
        }
        return inputs
    }

    /// A core value (3 decimals) with `decimals` decimals instead: multiplied (saturating) or
    /// floor-divided by the power of ten, per docs/MODEL_FORMAT.md.
    static func scaled(_ core: Int32, decimals: Int) -> Int32 {
        var value = Int64(core)
        if decimals > 3 {
            for _ in 0..<(decimals - 3) { value = value * 10 }
            return Int32(clamping: value)
        }
        var divisor: Int64 = 1
        for _ in 0..<(3 - decimals) { divisor *= 10 }
        var quotient = value / divisor
        if value < 0 && quotient * divisor != value { quotient -= 1 }
        return Int32(clamping: quotient)
    }
}
