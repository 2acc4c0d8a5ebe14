import XCTest
@testable import OutpostCore

/// The fixed-point evaluator against the Double reference on a trained forest, and the batched
/// walk against the single-sample one.
final class ForestAgreementTests: XCTestCase {
    /// A 64-tree forest (ψ = 256, height limit 8) over the six standard inputs, trained on 20 000
    /// generated rows with 2 % outliers; threshold at the training scores' 98th percentile.
    static let trained: (forest: ReferenceForest, bytes: [UInt8]) = {
        var random = SplitMix64(seed: 2024)
        let specs = ForestDataSet.standardSpecs
        let training = ForestDataSet.generate(specs, count: 20_000, outliers: 0.02, random: &random)
        var forest = ReferenceForest.grow(
            rows: training.reference, inputs: specs.map(\.input), treeCount: 64, sampleSize: 256,
            thresholdScore: 0.5, random: &random)
        let scores = training.reference.map { forest.score(row: $0) }.sorted()
        forest.thresholdScore = scores[scores.count * 98 / 100]
        return (forest, forest.bytes())
    }()

    /// 100 000 rows: half generated like the training data (with 5 % outliers), half uniform
    /// over each input's whole outlier range.
    static let rows: ForestDataSet = {
        var random = SplitMix64(seed: 99)
        let specs = ForestDataSet.standardSpecs
        var data = ForestDataSet.generate(specs, count: 50_000, outliers: 0.05, random: &random)
        let uniform = ForestDataSet.generate(specs, count: 50_000, outliers: 1.0, random: &random)
        data.fixed += uniform.fixed
        data.reference += uniform.reference
        return data
    }()

    func testFixedPointAgreesWithDoubleReference() throws {
        let (forest, bytes) = ForestAgreementTests.trained
        let data = ForestAgreementTests.rows
        let features = forest.inputs.count
        XCTAssertGreaterThanOrEqual(data.count, 100_000)
        XCTAssertGreaterThanOrEqual(features, 5)
        XCTAssertGreaterThanOrEqual(forest.trees.count, 50)
        var maxError = 0.0
        var agreeing = 0
        var anomalies = 0
        try bytes.withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            XCTAssertEqual(model.treeCount, forest.trees.count)
            XCTAssertLessThanOrEqual(model.maxDepth, 8)
            data.fixed.withUnsafeBufferPointer { fixed in
                for r in 0..<data.count {
                    let score = model.score(inputs: fixed.baseAddress! + r * features)
                    let reference = forest.score(row: data.reference[r])
                    let error = abs(Double(score.scoreQ16) / 65536 - min(reference, 65535.0 / 65536))
                    if error > maxError { maxError = error }
                    let expected = reference >= forest.thresholdScore
                    if score.anomaly == expected { agreeing += 1 }
                    if score.anomaly { anomalies += 1 }
                }
            }
        }
        let ratio = Double(agreeing) / Double(data.count)
        print("forest agreement: \(data.count) rows, max |s_fixed − s_double| = \(maxError), decisions agree on \(agreeing) (\(ratio * 100) %), anomalies \(anomalies)")
        XCTAssertLessThanOrEqual(maxError, 1e-3)
        XCTAssertGreaterThanOrEqual(ratio, 0.9999)
        // The data must exercise both decisions, or agreement would mean little.
        XCTAssertGreaterThan(anomalies, data.count / 20)
        XCTAssertLessThan(anomalies, data.count * 19 / 20)
    }

    func testBatchEqualsSingleForEveryRow() throws {
        let bytes = ForestAgreementTests.trained.bytes
        let data = ForestAgreementTests.rows
        let features = ForestAgreementTests.trained.forest.inputs.count
        try bytes.withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            var batch = [ForestScore](repeating: ForestScore(scoreQ16: 0, anomaly: false, confidenceQ16: 0), count: data.count)
            data.fixed.withUnsafeBufferPointer { fixed in
                batch.withUnsafeMutableBufferPointer { out in
                    model.scoreBatch(inputs: fixed.baseAddress!, count: data.count, into: out.baseAddress!)
                }
                var mismatches = 0
                for r in 0..<data.count where model.score(inputs: fixed.baseAddress! + r * features) != batch[r] {
                    mismatches += 1
                }
                XCTAssertEqual(mismatches, 0)
            }
        }
    }

    func testBatchEqualsSingleWithTheMaximumOf64Inputs() throws {
        // With F = 64 every real input slot of a lane is in use; a leaf must still read the
        // Int32.max padding (slot 127), not input 63, or the batch would walk off its leaves.
        var random = SplitMix64(seed: 64)
        let specs = (0..<64).map { i in
            ForestDataSet.Spec(
                input: .init(name: "x\(i)", decimals: i % 4, coreCode: 0xFF), mean: Double(i), deviation: 10,
                outlierLow: -1000, outlierHigh: 1000)
        }
        let training = ForestDataSet.generate(specs, count: 2000, outliers: 0.1, random: &random)
        let forest = ReferenceForest.grow(
            rows: training.reference, inputs: specs.map(\.input), treeCount: 12, sampleSize: 64,
            thresholdScore: 0.6, random: &random)
        var data = ForestDataSet.generate(specs, count: 203, outliers: 0.5, random: &random)
        // Input 63 very negative on some rows: x ≤ h would hold at every leaf if slot 63 were read.
        for r in Swift.stride(from: 0, to: data.count, by: 3) { data.fixed[r * 64 + 63] = -2_000_000 }
        try forest.bytes().withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            XCTAssertEqual(model.featureCount, 64)
            var batch = [ForestScore](repeating: ForestScore(scoreQ16: 0, anomaly: false, confidenceQ16: 0), count: data.count)
            data.fixed.withUnsafeBufferPointer { fixed in
                batch.withUnsafeMutableBufferPointer {
                    model.scoreBatch(inputs: fixed.baseAddress!, count: data.count, into: $0.baseAddress!)
                }
                for r in 0..<data.count {
                    XCTAssertEqual(batch[r], model.score(inputs: fixed.baseAddress! + r * 64), "row \(r)")
                }
            }
        }
    }

    func testBatchHandlesEveryRemainderAndEmpty() throws {
        let bytes = ForestAgreementTests.trained.bytes
        let data = ForestAgreementTests.rows
        let features = ForestAgreementTests.trained.forest.inputs.count
        try bytes.withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            let sentinel = ForestScore(scoreQ16: 1, anomaly: true, confidenceQ16: 1)
            for count in 0...(2 * ForestModel.batchLanes + 1) {
                // One extra slot: the batch must not write past `count`.
                var out = [ForestScore](repeating: sentinel, count: count + 1)
                data.fixed.withUnsafeBufferPointer { fixed in
                    out.withUnsafeMutableBufferPointer { model.scoreBatch(inputs: fixed.baseAddress!, count: count, into: $0.baseAddress!) }
                    for r in 0..<count {
                        XCTAssertEqual(out[r], model.score(inputs: fixed.baseAddress! + r * features), "count \(count) row \(r)")
                    }
                }
                XCTAssertEqual(out[count], sentinel, "wrote past the end at count \(count)")
            }
        }
    }

    func testPathSumMatchesReferenceLeavesExactly() throws {
        // With inputs on the grid and ⌊t·10^d⌋ thresholds every walk ends in the same leaf, so the
        // integer path sum equals the sum of the reference leaves' rounded Q16 values.
        let (forest, bytes) = ForestAgreementTests.trained
        let data = ForestAgreementTests.rows
        let features = forest.inputs.count
        try bytes.withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            data.fixed.withUnsafeBufferPointer { fixed in
                var mismatches = 0
                for r in 0..<2000 {
                    var expected: Int64 = 0
                    for t in 0..<forest.trees.count {
                        expected += Int64((forest.pathLength(tree: t, row: data.reference[r]) * 65536).rounded())
                    }
                    if model.pathSum(inputs: fixed.baseAddress! + r * features) != expected { mismatches += 1 }
                }
                XCTAssertEqual(mismatches, 0)
            }
        }
    }
}
