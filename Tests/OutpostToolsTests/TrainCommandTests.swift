import OutpostCore
import XCTest
@testable import OutpostTools

final class TrainCommandTests: XCTestCase {
    /// Writes a small gen data set (`sensors` × `durationS` rows at 1/s) and returns its path.
    func generated(_ dir: TemporaryDirectory, name: String = "train.csv", sensors: Int = 20, durationS: Int = 150, seed: Int = 100, anomalyProbability: String = "0.002") -> String {
        let path = dir.file(name)
        let run = runTool(["gen", "--sensors", "\(sensors)", "--duration", "\(durationS)", "--seed", "\(seed)",
                           "--anomaly-probability", anomalyProbability, "--out", path])
        XCTAssertEqual(run.code, 0, run.stderr)
        return path
    }

    func testSameInputAndSeedGiveTheSameBytes() {
        let dir = TemporaryDirectory()
        let data = generated(dir)
        let common = ["train", "--input", data, "--trees", "15", "--sample-size", "128"]
        XCTAssertEqual(runTool(common + ["--seed", "7", "--out", dir.file("a.opm")]).code, 0)
        XCTAssertEqual(runTool(common + ["--seed", "7", "--out", dir.file("b.opm")]).code, 0)
        XCTAssertEqual(runTool(common + ["--seed", "8", "--out", dir.file("c.opm")]).code, 0)
        XCTAssertEqual(dir.read("a.opm"), dir.read("b.opm"))
        XCTAssertNotEqual(dir.read("a.opm"), dir.read("c.opm"))
    }

    func testContaminationIsTheFlaggedShareOfTheTrainingRows() throws {
        let dir = TemporaryDirectory()
        let table = try CSVTable.load(generated(dir))
        var options = IsolationForestTrainer.Options()
        options.trees = 30
        for q in [0.02, 0.05, 0.1] {
            let result = try TrainCommand.train(table: table, columns: TrainCommand.defaultFeatures, options: options, decision: .contamination(q))
            let share = Double(result.flaggedRows) / Double(result.rows)
            XCTAssertEqual(share, q, accuracy: 0.005, "contamination \(q)")
            // The threshold score agrees with the decisions: flagged rows score at least it.
            let model = try LoadedModel(bytes: result.bytes, name: "m")
            let scores = model.scores(inputs: try model.inputs(from: table))
            let thresholdQ16 = Int(model.forest.thresholdScoreQ16)
            for score in scores {
                if score.anomaly { XCTAssertGreaterThanOrEqual(Int(score.scoreQ16) + 1, thresholdQ16) }
                else { XCTAssertLessThanOrEqual(Int(score.scoreQ16), thresholdQ16 + 1) }
            }
        }
    }

    func testFixedScoreThreshold() throws {
        let dir = TemporaryDirectory()
        let table = try CSVTable.load(generated(dir))
        var options = IsolationForestTrainer.Options()
        options.trees = 20
        let result = try TrainCommand.train(table: table, columns: ["temperature", "vibration"], options: options, decision: .score(0.6))
        let model = try LoadedModel(bytes: result.bytes, name: "m")
        XCTAssertEqual(model.forest.thresholdScoreQ16, 39322)  // round(0.6 × 65536)
        let inputs = try model.inputs(from: table)
        let sums = model.pathSums(inputs: inputs)
        let scores = model.scores(inputs: inputs)
        for (sum, score) in zip(sums, scores) {
            let s = ThresholdCalibration.score(pathSum: sum, treeCount: 20, cPsiQ16: model.forest.cPsiQ16)
            // anomaly ⇔ s ≥ 0.6, up to the rounding of the path-sum threshold to an integer.
            if abs(s - 0.6) > 1e-6 { XCTAssertEqual(score.anomaly, s >= 0.6) }
        }
    }

    func testFeatureDecimalsFollowTheDataRange() throws {
        let dir = TemporaryDirectory()
        let csv = dir.write("d.csv", "small,big,huge,zero,power_consumption\n0.5,-1500,3e12,0,1\n0.25,20,1,0,2\n0.125,3,2,0,3\n")
        let result = try TrainCommand.train(table: try CSVTable.load(csv), columns: ["small", "big", "huge", "zero", "power_consumption"],
                                            options: IsolationForestTrainer.Options(), decision: .contamination(0.3))
        // 0.5 × 10^9 ≤ 2^30; 1500 × 10^5 ≤ 2^30 < 1500 × 10^6; 3e12 × 10^−4 ≤ 2^30 < 3e12 × 10^−3.
        XCTAssertEqual(result.features.map(\.decimals), [9, 5, -4, 9, 8])
        XCTAssertEqual(result.features.map(\.coreCode), [0xFF, 0xFF, 0xFF, 0xFF, 4])
        // The 17-byte core name is cut in the model and restored from its core code.
        let model = try LoadedModel(bytes: result.bytes, name: "m")
        XCTAssertEqual(model.features.map(\.column), ["small", "big", "huge", "zero", "power_consumption"])
        XCTAssertEqual(String(decoding: model.forest.featureName(4), as: UTF8.self), "power_consumptio")
    }

    func testBadTrainingInputExitsWithTwoAndNamesThePlace() {
        let dir = TemporaryDirectory()
        let bad = dir.write("bad.csv", "temperature,humidity\n20,50\n21,5x\n")
        let run = runTool(["train", "--input", bad, "--out", dir.file("m.opm"), "--features", "temperature,humidity"])
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(bad):3:2 (column 'humidity'): '5x' is not a number\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("m.opm")))
        let missing = runTool(["train", "--input", bad, "--out", dir.file("m.opm")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertEqual(missing.stderr, "outpost-tool: \(bad): no column 'pressure' (columns: temperature, humidity)\n")
        let oneRow = dir.write("one.csv", "temperature\n20\n")
        let short = runTool(["train", "--input", oneRow, "--out", dir.file("m.opm"), "--features", "temperature"])
        XCTAssertEqual(short.stderr, "outpost-tool: \(oneRow): 1 data rows; training needs at least 2\n")
        let longName = runTool(["train", "--input", bad, "--out", dir.file("m.opm"), "--features", "a_very_long_column_name"])
        XCTAssertEqual(longName.code, 2)
        XCTAssertTrue(longName.stderr.contains("limited to 16 bytes"))
        let twice = runTool(["train", "--input", bad, "--out", dir.file("m.opm"), "--features", "temperature,temperature"])
        XCTAssertEqual(twice.code, 2)
    }

    func testSummaryGoesToStderrOnly() {
        let dir = TemporaryDirectory()
        let run = runTool(["train", "--input", generated(dir, sensors: 5, durationS: 60), "--out", dir.file("m.opm"), "--trees", "5"])
        XCTAssertEqual(run.code, 0)
        XCTAssertEqual(run.stdout, "")
        XCTAssertTrue(run.stderr.contains("train: 300 rows"))
        XCTAssertTrue(run.stderr.contains("temperature (7 decimals)"))
        XCTAssertTrue(run.stderr.contains("flagged 15 of 300 training rows"))
    }
}
