import XCTest
@testable import OutpostTools

final class ThresholdCalibrationTests: XCTestCase {
    func testContaminationPicksTheKthSmallestPathSum() {
        let sums: [Int64] = (1...100).map { Int64($0) * 1000 }.shuffled()
        let t = ThresholdCalibration.threshold(pathSums: sums, contamination: 0.05, treeCount: 1, cPsiQ16: 65536)
        XCTAssertEqual(t.pathSum, 5000)
        XCTAssertEqual(sums.filter { $0 <= t.pathSum }.count, 5)
    }

    func testTiesChooseTheCloserShare() {
        // 10 rows; k = 3 falls inside a tie of five equal sums at positions 2...6.
        let sums: [Int64] = [10, 20, 20, 20, 20, 20, 30, 40, 50, 60]
        let t = ThresholdCalibration.threshold(pathSums: sums, contamination: 0.3, treeCount: 1, cPsiQ16: 65536)
        // Flagging the tie gives 6 (3 too many), stopping before it gives 1 (2 too few): stop before.
        XCTAssertEqual(t.pathSum, 10)
        let u = ThresholdCalibration.threshold(pathSums: sums, contamination: 0.5, treeCount: 1, cPsiQ16: 65536)
        XCTAssertEqual(u.pathSum, 20)  // 6 flagged vs 5 wanted beats 1
    }

    func testTinyContaminationFlagsNothingAtAll() {
        let t = ThresholdCalibration.threshold(pathSums: [100, 200, 300], contamination: 0.01, treeCount: 1, cPsiQ16: 65536)
        XCTAssertEqual(t.pathSum, 99)
    }

    func testScoreAndPathSumAgree() {
        // c(ψ) = 1, T = 2: s = 2^(−E[h]); E[h] = 1 ⇔ path sum 2 × 65536 ⇔ s = 0.5.
        let t = ThresholdCalibration.threshold(score: 0.5, treeCount: 2, cPsiQ16: 65536)
        XCTAssertEqual(t.pathSum, 131_072)
        XCTAssertEqual(t.scoreQ16, 32768)
        XCTAssertEqual(ThresholdCalibration.score(pathSum: 131_072, treeCount: 2, cPsiQ16: 65536), 0.5)
        XCTAssertEqual(ThresholdCalibration.threshold(score: 1, treeCount: 5, cPsiQ16: 300_000).pathSum, 0)
        // Monotone: a higher score threshold is a smaller path sum.
        let low = ThresholdCalibration.threshold(score: 0.55, treeCount: 100, cPsiQ16: 661_000)
        let high = ThresholdCalibration.threshold(score: 0.65, treeCount: 100, cPsiQ16: 661_000)
        XCTAssertLessThan(high.pathSum, low.pathSum)
    }
}
