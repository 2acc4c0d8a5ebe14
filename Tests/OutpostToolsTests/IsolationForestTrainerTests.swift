import OutpostCore
import XCTest
@testable import OutpostTools

final class IsolationForestTrainerTests: XCTestCase {
    /// 300 rows of two features around (1000, −500) in fixed point, plus a few far outliers.
    func sampleInputs() -> [Int32] {
        var random = Xoshiro256StarStar(seed: 3)
        var inputs: [Int32] = []
        for row in 0..<300 {
            let outlier = row % 60 == 0
            inputs.append(Int32(random.gaussian(mean: outlier ? 5000 : 1000, deviation: 50)))
            inputs.append(Int32(random.gaussian(mean: -500, deviation: 30)))
        }
        return inputs
    }

    func options(trees: Int = 20, sampleSize: Int = 64, seed: UInt64 = 1) -> IsolationForestTrainer.Options {
        var options = IsolationForestTrainer.Options()
        options.trees = trees
        options.sampleSize = sampleSize
        options.seed = seed
        return options
    }

    func testDeterministicForASeedAndDifferentOtherwise() {
        let inputs = sampleInputs()
        let a = IsolationForestTrainer.train(inputs: inputs, rowCount: 300, featureCount: 2, options: options())
        let b = IsolationForestTrainer.train(inputs: inputs, rowCount: 300, featureCount: 2, options: options())
        let c = IsolationForestTrainer.train(inputs: inputs, rowCount: 300, featureCount: 2, options: options(seed: 2))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    func testTreeShapeFollowsTheFormatRules() {
        let forest = IsolationForestTrainer.train(inputs: sampleInputs(), rowCount: 300, featureCount: 2, options: options())
        XCTAssertEqual(forest.roots.count, 20)
        XCTAssertEqual(forest.sampleSize, 64)
        XCTAssertEqual(forest.heightLimit, 6)
        XCTAssertEqual(forest.roots.first, 0)
        // Every tree is a proper pre-order tree: count leaves = splits + 1 per tree, depth ≤ limit.
        for (t, root) in forest.roots.enumerated() {
            let end = t + 1 < forest.roots.count ? forest.roots[t + 1] : forest.nodes.count
            let slice = forest.nodes[root..<end]
            let leaves = slice.filter { $0.feature == nil }.count
            XCTAssertEqual(leaves, slice.count - leaves + 1)
            for (offset, node) in slice.enumerated() where node.feature != nil {
                XCTAssertGreaterThanOrEqual(node.rightOffset, 2)
                XCTAssertLessThan(root + offset + node.rightOffset, end)
            }
            XCTAssertLessThanOrEqual(slice.count, 2 * 64 - 1)
        }
        // Leaf h values are depth + c(size) ≥ 1 for non-root leaves, and never above limit + c(ψ).
        let top = Int32((Double(forest.heightLimit) + Math.averagePathLength(64)) * 65536)
        for node in forest.nodes where node.feature == nil {
            XCTAssertGreaterThanOrEqual(node.value, 65536)
            XCTAssertLessThanOrEqual(node.value, top)
        }
    }

    func testOutliersGetShorterPaths() {
        let inputs = sampleInputs()
        let forest = IsolationForestTrainer.train(inputs: inputs, rowCount: 300, featureCount: 2, options: options(trees: 50))
        var outlierSum: Int64 = 0
        var normalSum: Int64 = 0
        for row in 0..<300 {
            let sum = forest.pathSum(inputs: inputs[(row * 2)..<(row * 2 + 2)])
            if row % 60 == 0 { outlierSum += sum } else { normalSum += sum }
        }
        XCTAssertLessThan(Double(outlierSum) / 5, Double(normalSum) / 295 * 0.7)
    }

    func testSampleSizeIsCappedByTheRows() {
        let forest = IsolationForestTrainer.train(inputs: [1, 2, 3, 4, 5], rowCount: 5, featureCount: 1, options: options(trees: 3, sampleSize: 256))
        XCTAssertEqual(forest.sampleSize, 5)
        XCTAssertEqual(forest.heightLimit, 3)
    }

    func testConstantDataMakesSingleLeafTrees() {
        let forest = IsolationForestTrainer.train(inputs: [Int32](repeating: 7, count: 20), rowCount: 10, featureCount: 2, options: options(trees: 4, sampleSize: 8))
        XCTAssertEqual(forest.nodes.count, 4)
        // A root leaf of 8 samples: h = 0 + c(8).
        XCTAssertEqual(forest.nodes[0].value, Int32((Math.averagePathLength(8) * 65536).rounded()))
    }

    func testEncodedModelLoadsInTheCoreAndWalksTheSameWay() throws {
        let inputs = sampleInputs()
        let forest = IsolationForestTrainer.train(inputs: inputs, rowCount: 300, featureCount: 2, options: options())
        let features = [ModelFeature(column: "a", decimals: 2), ModelFeature(column: "temperature", decimals: 3)]
        XCTAssertEqual(features[0].coreCode, 0xFF)
        XCTAssertEqual(features[1].coreCode, 0)
        let bytes = ModelEncoder.encode(forest: forest, features: features, threshold: ModelEncoder.Threshold(scoreQ16: 40000, pathSum: 123))
        XCTAssertEqual(bytes.count, 40 + 20 * 2 + 4 * 20 + 8 * forest.nodes.count + 4)
        let model = try LoadedModel(bytes: bytes, name: "m")
        XCTAssertEqual(model.forest.treeCount, 20)
        XCTAssertEqual(model.forest.sampleSize, 64)
        XCTAssertEqual(model.forest.pathSumThreshold, 123)
        XCTAssertEqual(model.forest.thresholdScoreQ16, 40000)
        XCTAssertEqual(model.features, features)
        let core = model.pathSums(inputs: inputs)
        for row in 0..<300 {
            XCTAssertEqual(core[row], forest.pathSum(inputs: inputs[(row * 2)..<(row * 2 + 2)]), "row \(row)")
        }
    }

    func testTheFormatDocumentsExampleEncodesTo92Bytes() throws {
        let forest = TrainedForest(
            featureCount: 1, sampleSize: 2, heightLimit: 1,
            nodes: [TrainedNode(feature: 0, rightOffset: 2, value: 0), .leaf(pathLengthQ16: 65536), .leaf(pathLengthQ16: 65536)],
            roots: [0])
        let bytes = ModelEncoder.encode(forest: forest, features: [ModelFeature(column: "x", decimals: 0)], threshold: .never)
        XCTAssertEqual(bytes.count, 92)
        XCTAssertEqual(Array(bytes[0..<4]), Array("OPIF".utf8))
        XCTAssertEqual(Array(bytes[64..<88]), [0, 0, 2, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 1, 0, 0xFF, 0xFF, 0, 0, 0, 0, 1, 0])
        XCTAssertNoThrow(try LoadedModel(bytes: bytes, name: "example"))
    }
}
