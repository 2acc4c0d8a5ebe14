import Foundation
import XCTest
@testable import OutpostCore

/// Golden vectors on a tiny hand-computed forest, the header accessors, and the fixed-point score.
final class ForestModelTests: XCTestCase {
    /// Two inputs, two trees, ψ = 2 so c(ψ) = 1 exactly (cPsiQ16 = 65536):
    ///
    ///     tree A: x0 ≤ 100 ? h 1.0 : (x1 ≤ −50 ? h 2.0 : h 2.5)
    ///     tree B: x1 ≤ 0 ? h 1.0 : h 1.5
    ///
    /// Threshold score 0.3: thresholdScoreQ16 = round(0.3 × 65536) = 19661 and
    /// pathSumThreshold = ⌊−log₂(0.3) × 2 × 65536⌋ = ⌊227 667.6…⌋ = 227 667.
    static let goldenInputs: [ReferenceForest.Input] = [
        .init(name: "temperature", decimals: 3, coreCode: 0),
        .init(name: "humidity", decimals: 3, coreCode: 1),
    ]
    static let goldenTrees: [[ModelBytes.RawNode]] = [
        [.split(0, 100, right: 2), .leaf(65536), .split(1, -50, right: 2), .leaf(131_072), .leaf(163_840)],
        [.split(1, 0, right: 2), .leaf(65536), .leaf(98304)],
    ]
    static func goldenBytes() -> [UInt8] {
        ModelBytes.encode(
            inputs: goldenInputs, trees: goldenTrees, sampleSize: 2, cPsiQ16: 65536,
            thresholdScoreQ16: 19661, pathSumThreshold: 227_667)
    }

    private func withGolden(_ body: (ForestModel) throws -> Void) throws {
        let bytes = ForestModelTests.goldenBytes()
        try bytes.withUnsafeBytes { raw in try body(try ForestModel(bytes: raw)) }
    }

    func testGoldenBytesAreTheDocumentedSize() {
        // 40 header + 2 × 20 features + 2 × 4 roots + 8 × 8 nodes + 4 CRC.
        XCTAssertEqual(ForestModelTests.goldenBytes().count, 40 + 40 + 8 + 64 + 4)
    }

    func testHeaderAccessors() throws {
        try withGolden { model in
            XCTAssertEqual(model.featureCount, 2)
            XCTAssertEqual(model.treeCount, 2)
            XCTAssertEqual(model.sampleSize, 2)
            XCTAssertEqual(model.nodeCount, 8)
            XCTAssertEqual(model.cPsiQ16, 65536)
            XCTAssertEqual(model.thresholdScoreQ16, 19661)
            XCTAssertEqual(model.pathSumThreshold, 227_667)
            XCTAssertEqual(model.maxDepth, 2)
            XCTAssertEqual(model.featureDecimals(0), 3)
            XCTAssertEqual(model.featureCoreCode(1), 1)
            let name = Array(model.featureName(1))
            XCTAssertEqual(name.count, 16)
            XCTAssertEqual(Array(name[0..<8]), Array("humidity".utf8))
            XCTAssertEqual(Array(name[8...]), [UInt8](repeating: 0, count: 8))
        }
    }

    /// Each case: inputs, expected path sum (Q16), score s = 2^(−E) in Q16, anomaly, confidence.
    /// E = 1 → s = 0.5 → 32768; E = 1.5 → 0.353553… × 65536 = 23170.48 → 23170;
    /// E = 1.75 → 19483.97 → 19484; E = 2 → 16384. Confidence 0.5 + 0.5 (s − 0.3)/(1 − 0.3) in Q16
    /// from the Q16 values: 32768 + 32768 × (32768 − 19661) / 45875 = 42130, and
    /// 32768 + 32768 × (23170 − 19661) / 45875 = 35274.
    func testGoldenVectors() throws {
        let cases: [(inputs: [Int32], pathSum: Int64, score: UInt16, anomaly: Bool, confidence: UInt16)] = [
            ([100, 0], 131_072, 32768, true, 42130),  // A left (boundary x = threshold), B left
            ([-5, -7], 131_072, 32768, true, 42130),  // negative inputs
            ([101, -50], 196_608, 23170, true, 35274),  // A right then left (boundary), B left
            ([101, -49], 229_376, 19484, false, 0),  // just past the decision threshold
            ([101, 1], 262_144, 16384, false, 0),
        ]
        try withGolden { model in
            for c in cases {
                c.inputs.withUnsafeBufferPointer { inputs in
                    XCTAssertEqual(model.pathSum(inputs: inputs.baseAddress!), c.pathSum, "\(c.inputs)")
                    let score = model.score(inputs: inputs.baseAddress!)
                    XCTAssertEqual(score, ForestScore(scoreQ16: c.score, anomaly: c.anomaly, confidenceQ16: c.confidence), "\(c.inputs)")
                }
            }
        }
    }

    func testGoldenDecisionBoundaryIsInclusive() throws {
        // A path sum exactly at the threshold is an anomaly; one more is not.
        try withGolden { model in
            XCTAssertTrue(model.verdict(pathSum: 227_667).anomaly)
            XCTAssertFalse(model.verdict(pathSum: 227_668).anomaly)
            XCTAssertEqual(model.verdict(pathSum: 227_668).confidenceQ16, 0)
            // At the threshold s ≈ s_thr, so the confidence is 0.5 (clamped from below if rounding dips).
            XCTAssertEqual(model.verdict(pathSum: 227_667).confidenceQ16, 32768)
        }
    }

    func testGoldenCoreScoringMatchesInputs() throws {
        try withGolden { model in
            var core = FeatureVector()
            core[.temperature] = 101
            core[.humidity] = -50
            XCTAssertEqual(model.score(core: core)?.scoreQ16, 23170)
            core[.humidity] = nil
            XCTAssertNil(model.score(core: core), "humidity is needed")
        }
    }

    func testScoreQ16Extremes() {
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: 0, treeCount: 1, cPsiQ16: 65536), 65535, "s = 1 saturates")
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: -5, treeCount: 1, cPsiQ16: 65536), 65535)
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: 65536, treeCount: 1, cPsiQ16: 65536), 32768)
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: 2 * 65536, treeCount: 2, cPsiQ16: 65536), 32768)
        // y = 16: 2^(−16) = 1 in Q16; y = 17: 0.5 rounds to… the cut-off returns 0.
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: 16 * 65536, treeCount: 1, cPsiQ16: 65536), 1)
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: 17 * 65536, treeCount: 1, cPsiQ16: 65536), 0)
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: Int64.max, treeCount: 1024, cPsiQ16: 65536), 0)
        XCTAssertEqual(ForestModel.scoreQ16(pathSum: Int64.max, treeCount: 1, cPsiQ16: UInt32.max), 0)
    }

    func testScoreQ16TracksTheFormulaEverywhere() {
        // Against 2^(−pathSum/(T·c)) in Double over many path sums, trees and c(ψ) values.
        var random = SplitMix64(seed: 3)
        var worst = 0.0
        for _ in 0..<200_000 {
            let trees = 1 + random.next(below: 1024)
            let cPsiQ16 = UInt32(65536 + random.next(below: 25 * 65536))
            let y = random.nextDouble() * 18
            let pathSum = Int64(y * Double(trees) * Double(cPsiQ16))
            let fixed = Double(ForestModel.scoreQ16(pathSum: pathSum, treeCount: trees, cPsiQ16: cPsiQ16)) / 65536
            let exact = min(pow(2, -Double(pathSum) / (Double(trees) * Double(cPsiQ16))), 65535.0 / 65536)
            worst = max(worst, abs(fixed - exact))
        }
        print("scoreQ16 max |fixed − exact| = \(worst)")
        XCTAssertLessThanOrEqual(worst, 1.5 / 65536)
    }

    func testExp2AgainstPowAtEveryFractionStep() {
        var worst = 0.0
        var previous = UInt32.max
        for yQ16 in Swift.stride(from: Int64(0), to: 18 * 65536, by: 7) {
            let value = Exp2.negativeQ16(yQ16)
            let exact = pow(2, -Double(yQ16) / 65536) * 65536
            worst = max(worst, abs(Double(value) - exact))
            XCTAssertLessThanOrEqual(value, previous, "2^(−y) is non-increasing")
            previous = value
        }
        print("Exp2.negativeQ16 max error = \(worst) Q16 units")
        XCTAssertLessThanOrEqual(worst, 0.6)
        XCTAssertEqual(Exp2.negativeQ16(0), 65536)
        XCTAssertEqual(Exp2.negativeQ16(65536), 32768)
        XCTAssertEqual(Exp2.negativeQ16(100 * 65536), 0)
    }
}
