import XCTest
@testable import OutpostCore

/// `score(core:)`: core values (3 decimals of the reference unit) converted to each model input's
/// decimals, saturating up and flooring down, and nil when the model cannot be fed.
final class ForestCoreScalingTests: XCTestCase {
    func testScaleFactorsPerDecimals() {
        XCTAssertEqual(ForestModel.coreScale(decimals: 3), 1)
        XCTAssertEqual(ForestModel.coreScale(decimals: 4), 10)
        XCTAssertEqual(ForestModel.coreScale(decimals: 9), 1_000_000)
        XCTAssertEqual(ForestModel.coreScale(decimals: 2), -10)
        XCTAssertEqual(ForestModel.coreScale(decimals: 0), -1000)
        XCTAssertEqual(ForestModel.coreScale(decimals: -6), -1_000_000_000)
        // 10^10 and up do not fit Int32; 2^31 floors every Int32 the same way.
        XCTAssertEqual(ForestModel.coreScale(decimals: -7), Int32.min)
        XCTAssertEqual(ForestModel.coreScale(decimals: -9), Int32.min)
    }

    func testMultiplySaturates() {
        XCTAssertEqual(ForestModel.scaleCoreValue(21_500, by: 10), 215_000)
        XCTAssertEqual(ForestModel.scaleCoreValue(-21_500, by: 1000), -21_500_000)
        XCTAssertEqual(ForestModel.scaleCoreValue(2_147_484, by: 1000), Int32.max)
        XCTAssertEqual(ForestModel.scaleCoreValue(-2_147_484, by: 1000), Int32.min)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.max, by: 1_000_000), Int32.max)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.min, by: 1_000_000), Int32.min)
        XCTAssertEqual(ForestModel.scaleCoreValue(2_147_483, by: 1000), 2_147_483_000, "largest that fits")
    }

    func testDivideFloors() {
        XCTAssertEqual(ForestModel.scaleCoreValue(19, by: -10), 1)
        XCTAssertEqual(ForestModel.scaleCoreValue(20, by: -10), 2)
        XCTAssertEqual(ForestModel.scaleCoreValue(0, by: -10), 0)
        XCTAssertEqual(ForestModel.scaleCoreValue(-1, by: -10), -1, "floor, not truncation")
        XCTAssertEqual(ForestModel.scaleCoreValue(-10, by: -10), -1)
        XCTAssertEqual(ForestModel.scaleCoreValue(-11, by: -10), -2)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.min, by: Int32.min), -1)
        XCTAssertEqual(ForestModel.scaleCoreValue(-1, by: Int32.min), -1)
        XCTAssertEqual(ForestModel.scaleCoreValue(0, by: Int32.min), 0)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.max, by: Int32.min), 0)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.max, by: -1_000_000_000), 2)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.min, by: -1_000_000_000), -3)
        XCTAssertEqual(ForestModel.scaleCoreValue(Int32.min, by: -1000), -2_147_484)
    }

    /// One input `temperature` with `decimals`, one tree splitting at `threshold`: left leaf h = 1,
    /// right leaf h = 2, so the path sum tells which way the converted value went.
    private func probe(decimals: Int, threshold: Int32, _ body: (ForestModel) -> Void) throws {
        let bytes = ModelBytes.encode(
            inputs: [.init(name: "temperature", decimals: decimals, coreCode: Feature.temperature.rawValue)],
            trees: [[.split(0, threshold, right: 2), .leaf(65536), .leaf(131_072)]], sampleSize: 2,
            cPsiQ16: 65536, thresholdScoreQ16: 32768, pathSumThreshold: 65536)
        try bytes.withUnsafeBytes { body(try ForestModel(bytes: $0)) }
    }

    private func goesLeft(_ model: ForestModel, core value: Int32, line: UInt = #line) -> Bool {
        var core = FeatureVector()
        core[.temperature] = value
        guard let score = model.score(core: core) else {
            XCTFail("no score", line: line)
            return false
        }
        // h = 1 → E = 1 → s = 0.5; h = 2 → s = 0.25.
        return score.scoreQ16 == 32768
    }

    func testEndToEndFloorForNegativeValues() throws {
        // decimals 2: ⌊v / 10⌋; threshold −1 (−0.01 °C). −5 m°C floors to −1 (left); truncation
        // would give 0 (right).
        try probe(decimals: 2, threshold: -1) { model in
            XCTAssertTrue(goesLeft(model, core: -5))
            XCTAssertTrue(goesLeft(model, core: -10))
            XCTAssertTrue(goesLeft(model, core: -11))
            XCTAssertFalse(goesLeft(model, core: 0))
            XCTAssertFalse(goesLeft(model, core: 9))
        }
    }

    func testEndToEndMultiplyAndSaturation() throws {
        // decimals 6: × 1000. Threshold Int32.max − 1: only a saturated value goes right.
        try probe(decimals: 6, threshold: Int32.max - 1) { model in
            XCTAssertTrue(goesLeft(model, core: 2_147_483))
            XCTAssertFalse(goesLeft(model, core: 2_147_484), "saturates to Int32.max")
            XCTAssertFalse(goesLeft(model, core: Int32.max))
            XCTAssertTrue(goesLeft(model, core: Int32.min), "negative saturation stays left")
        }
        try probe(decimals: 6, threshold: Int32.min) { model in
            XCTAssertTrue(goesLeft(model, core: -2_147_484), "saturates to Int32.min")
            XCTAssertFalse(goesLeft(model, core: -2_147_483))
        }
    }

    func testEndToEndNegativeDecimalsKeepOnlyTheSign() throws {
        // decimals −9: ⌊v / 10^12⌋ is −1 for every negative Int32 and 0 otherwise.
        try probe(decimals: -9, threshold: -1) { model in
            XCTAssertTrue(goesLeft(model, core: -1))
            XCTAssertTrue(goesLeft(model, core: Int32.min))
            XCTAssertFalse(goesLeft(model, core: 0))
            XCTAssertFalse(goesLeft(model, core: Int32.max))
        }
    }

    func testEndToEndIdentityAtThreeDecimals() throws {
        try probe(decimals: 3, threshold: 21_500) { model in
            XCTAssertTrue(goesLeft(model, core: 21_500))
            XCTAssertFalse(goesLeft(model, core: 21_501))
        }
    }

    func testCoreScoringEqualsManuallyScaledInputsOnATrainedForest() throws {
        // Five core inputs at decimals 2, 1, 3, 4, 0: score(core:) must equal score(inputs:) fed
        // with the documented conversion, for many random core vectors (negatives included).
        let specs = Array(ForestDataSet.standardSpecs[0..<5])
        var random = SplitMix64(seed: 5)
        let training = ForestDataSet.generate(specs, count: 3000, outliers: 0.05, random: &random)
        let forest = ReferenceForest.grow(
            rows: training.reference, inputs: specs.map(\.input), treeCount: 20, sampleSize: 128,
            thresholdScore: 0.6, random: &random)
        try forest.bytes().withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            for _ in 0..<5000 {
                var core = FeatureVector()
                var expected: [Int32] = []
                for (i, spec) in specs.enumerated() {
                    let value = Int32(truncatingIfNeeded: Int64(random.next() % 400_000) - 100_000 + Int64(spec.mean * 1000))
                    core[Feature(rawValue: spec.input.coreCode)!] = value
                    let d = spec.input.decimals
                    let scale = pow(10.0, Double(d - 3))
                    expected.append(Int32((Double(value) * scale).rounded(.down)))
                    XCTAssertEqual(model.featureDecimals(i), d)
                }
                let viaCore = model.score(core: core)
                let viaInputs = expected.withUnsafeBufferPointer { model.score(inputs: $0.baseAddress!) }
                XCTAssertEqual(viaCore, viaInputs)
            }
        }
    }

    func testNilWhenACoreFeatureIsMissing() throws {
        try probe(decimals: 3, threshold: 0) { model in
            var core = FeatureVector()
            XCTAssertNil(model.score(core: core), "empty vector")
            core[.humidity] = 1000
            core[.power] = 5
            XCTAssertNil(model.score(core: core), "only other features present")
            core[.temperature] = 0
            XCTAssertNotNil(model.score(core: core), "extra features are ignored")
        }
    }

    func testNilWhenTheModelReadsANonCoreInput() throws {
        let bytes = ModelBytes.encode(
            inputs: [.init(name: "temperature", decimals: 3, coreCode: 0), .init(name: "rssi", decimals: 0, coreCode: 0xFF)],
            trees: [[.split(1, 0, right: 2), .leaf(65536), .leaf(131_072)]], sampleSize: 2,
            cPsiQ16: 65536, thresholdScoreQ16: 32768, pathSumThreshold: 65536)
        try bytes.withUnsafeBytes { raw in
            let model = try ForestModel(bytes: raw)
            var core = FeatureVector()
            for feature in [Feature.temperature, .humidity, .pressure, .vibration, .power] { core[feature] = 1 }
            XCTAssertNil(model.score(core: core))
            XCTAssertEqual(model.featureCoreCode(1), 0xFF)
        }
    }
}
