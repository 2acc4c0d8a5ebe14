import XCTest
@testable import OutpostTools

final class BinaryMetricsTests: XCTestCase {
    func testAUCOfAHandMadeRanking() throws {
        // Ascending: 0.4 0.5 0.6 0.7(+) 0.8 0.9(+). Pairs won by positives: 4 + 3 of 2 × 4.
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        let labels = [true, false, true, false, false, false]
        XCTAssertEqual(try XCTUnwrap(BinaryMetrics.rocAUC(scores: scores, labels: labels)), 7.0 / 8.0, accuracy: 1e-12)
    }

    func testAUCCountsTiesAsOneHalf() throws {
        XCTAssertEqual(BinaryMetrics.rocAUC(scores: [5, 5], labels: [true, false]), 0.5)
        // Positives {3, 3, 1}, negatives {1, 1, 3}: wins 2 × 2 = 4, ties 2 × 0.5 + 2 × 0.5 = 2, of 9.
        let auc = try XCTUnwrap(BinaryMetrics.rocAUC(scores: [3, 3, 1, 1, 1, 3], labels: [true, true, true, false, false, false]))
        XCTAssertEqual(auc, 6.0 / 9.0, accuracy: 1e-12)
    }

    func testAUCExtremesAndUndefined() {
        XCTAssertEqual(BinaryMetrics.rocAUC(scores: [1, 2, 3, 4], labels: [false, false, true, true]), 1)
        XCTAssertEqual(BinaryMetrics.rocAUC(scores: [1, 2, 3, 4], labels: [true, true, false, false]), 0)
        XCTAssertNil(BinaryMetrics.rocAUC(scores: [1, 2], labels: [true, true]))
        XCTAssertNil(BinaryMetrics.rocAUC(scores: [1, 2], labels: [false, false]))
        XCTAssertNil(BinaryMetrics.rocAUC(scores: [Double](), labels: []))
    }

    func testConfusionAndRatios() throws {
        let predicted = [true, true, true, false, false, false]
        let labels = [true, false, true, false, false, true]
        let counts = ConfusionCounts(predicted: predicted, labels: labels)
        XCTAssertEqual(counts.truePositives, 2)
        XCTAssertEqual(counts.falsePositives, 1)
        XCTAssertEqual(counts.trueNegatives, 2)
        XCTAssertEqual(counts.falseNegatives, 1)
        XCTAssertEqual(try XCTUnwrap(counts.precision), 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(counts.recall), 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(counts.f1), 2.0 / 3.0, accuracy: 1e-12)
    }

    func testRatiosAreUndefinedWithoutTheirDenominators() {
        let nothingFlagged = ConfusionCounts(predicted: [false, false], labels: [true, false])
        XCTAssertNil(nothingFlagged.precision)
        XCTAssertEqual(nothingFlagged.recall, 0)
        XCTAssertEqual(nothingFlagged.f1, 0)
        let noPositives = ConfusionCounts(predicted: [false, false], labels: [false, false])
        XCTAssertNil(noPositives.precision)
        XCTAssertNil(noPositives.recall)
        XCTAssertNil(noPositives.f1)
    }
}
