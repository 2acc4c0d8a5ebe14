import OutpostCore
import XCTest
@testable import OutpostTools

final class EvalCommandTests: XCTestCase {
    /// One feature `x` (1 decimal), one tree: x ≤ 0 reaches a leaf with h = 1 (s = 0.5), x > 0 one
    /// with h = 3 (s = 0.125); anomaly iff path sum ≤ 65536, i.e. iff x ≤ 0.
    func handMadeModel() -> [UInt8] {
        let forest = TrainedForest(
            featureCount: 1, sampleSize: 2, heightLimit: 1,
            nodes: [TrainedNode(feature: 0, rightOffset: 2, value: 0), .leaf(pathLengthQ16: 65536), .leaf(pathLengthQ16: 3 * 65536)],
            roots: [0])
        return ModelEncoder.encode(forest: forest, features: [ModelFeature(column: "x", decimals: 1)],
                                   threshold: ModelEncoder.Threshold(scoreQ16: 32768, pathSum: 65536))
    }

    func testMetricsOfAHandMadeCase() throws {
        let dir = TemporaryDirectory()
        let model = dir.write("m.opm", bytes: handMadeModel())
        // Flagged (x ≤ 0): rows 1, 2, 6. Labels: 1 1 0 0 1 0.
        let data = dir.write("d.csv", "x,label\n-1,1\n-2,1\n1,0\n2,0\n3,1\n-0.5,0\n")
        let run = runTool(["eval", "--model", model, "--input", data])
        XCTAssertEqual(run.code, 0, run.stderr)
        // TP 2, FP 1, FN 1, TN 2; AUC: positives {0.5, 0.5, 0.125} vs negatives {0.125, 0.125, 0.5}:
        // wins 4, ties 2 × 0.5 + 2 × 0.5, of 9 → 6/9.
        XCTAssertEqual(run.stdout, """
            rows 6
            positives 3
            negatives 3
            roc_auc 0.6667
            threshold_score 0.500000
            precision 0.6667
            recall 0.6667
            f1 0.6667
            true_positives 2
            false_positives 1
            true_negatives 2
            false_negatives 1

            """)
    }

    func testOtherLabelColumnAndUndefinedRatios() throws {
        let dir = TemporaryDirectory()
        let model = dir.write("m.opm", bytes: handMadeModel())
        let data = dir.write("d.csv", "truth,x\n0,1\n0,2\n")
        let run = runTool(["eval", "--model", model, "--input", data, "--label-column", "truth"])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("roc_auc n/a\n"))
        XCTAssertTrue(run.stdout.contains("precision n/a\n"))
        XCTAssertTrue(run.stdout.contains("recall n/a\n"))
    }

    func testBadLabelsAndMissingLabelColumn() {
        let dir = TemporaryDirectory()
        let model = dir.write("m.opm", bytes: handMadeModel())
        let data = dir.write("d.csv", "x,label\n1,0\n2,maybe\n")
        let bad = runTool(["eval", "--model", model, "--input", data])
        XCTAssertEqual(bad.code, 2)
        XCTAssertEqual(bad.stderr, "outpost-tool: \(data):3:2 (column 'label'): 'maybe' is not a label (0 or 1)\n")
        let noLabel = runTool(["eval", "--model", model, "--input", data, "--label-column", "y"])
        XCTAssertEqual(noLabel.code, 2)
        XCTAssertEqual(noLabel.stderr, "outpost-tool: \(data): no column 'y' (columns: x, label)\n")
    }

    func testHeldOutDataIsBetterThanChance() throws {
        let dir = TemporaryDirectory()
        let train = dir.file("train.csv")
        let held = dir.file("held.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "30", "--duration", "200", "--seed", "100", "--anomaly-probability", "0.002", "--out", train]).code, 0)
        XCTAssertEqual(runTool(["gen", "--sensors", "30", "--duration", "200", "--seed", "200", "--out", held]).code, 0)
        XCTAssertEqual(runTool(["train", "--input", train, "--out", dir.file("m.opm"), "--trees", "30"]).code, 0)
        let report = try EvalCommand.evaluate(model: try LoadedModel.load(dir.file("m.opm")), table: try CSVTable.load(held), labelColumn: "label")
        XCTAssertGreaterThan(try XCTUnwrap(report.rocAUC), 0.65)
        XCTAssertGreaterThan(report.positives, 0)
    }
}
