import OutpostCore
import XCTest
@testable import OutpostTools

final class ScoreCommandTests: XCTestCase {
    func testScoresMatchTheCoreEvaluatorRowByRow() throws {
        let dir = TemporaryDirectory()
        let train = dir.file("train.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "10", "--duration", "100", "--seed", "3", "--out", train]).code, 0)
        XCTAssertEqual(runTool(["train", "--input", train, "--out", dir.file("m.opm"), "--trees", "10"]).code, 0)
        let held = dir.file("held.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "10", "--duration", "50", "--seed", "4", "--out", held]).code, 0)
        let run = runTool(["score", "--model", dir.file("m.opm"), "--input", held])
        XCTAssertEqual(run.code, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "score,anomaly")
        XCTAssertEqual(lines.count, 501)
        // Independent check: the core's single-sample walk on the exact fixed-point inputs.
        let model = try LoadedModel.load(dir.file("m.opm"))
        let table = try CSVTable.load(held)
        let inputs = try model.inputs(from: table)
        XCTAssertEqual(inputs[0], try table.decimal(row: 0, column: 2).fixed(decimals: model.features[0].decimals))
        for row in 0..<table.rowCount {
            let expected = inputs.withUnsafeBufferPointer { model.forest.score(inputs: $0.baseAddress! + row * 5) }
            let fields = lines[row + 1].split(separator: ",")
            XCTAssertEqual(String(fields[0]), DecimalFormat.string(Double(expected.scoreQ16) / 65536, decimals: 6))
            XCTAssertEqual(String(fields[1]), expected.anomaly ? "1" : "0")
        }
        // --out writes the same text to a file.
        XCTAssertEqual(runTool(["score", "--model", dir.file("m.opm"), "--input", held, "--out", dir.file("s.csv")]).code, 0)
        XCTAssertEqual(String(decoding: dir.read("s.csv"), as: UTF8.self), run.stdout)
    }

    func testColumnsAreFoundByNameInAnyOrder() throws {
        let dir = TemporaryDirectory()
        dir.write("t.csv", "b,a\n1,10\n2,20\n3,30\n4,40\n100,1000\n")
        XCTAssertEqual(runTool(["train", "--input", dir.file("t.csv"), "--out", dir.file("m.opm"), "--features", "a,b", "--trees", "5"]).code, 0)
        dir.write("swapped.csv", "a,extra,b\n10,x,1\n1000,y,100\n")
        let run = runTool(["score", "--model", dir.file("m.opm"), "--input", dir.file("swapped.csv")])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 3)
        dir.write("missing.csv", "a\n1\n")
        let missing = runTool(["score", "--model", dir.file("m.opm"), "--input", dir.file("missing.csv")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertEqual(missing.stderr, "outpost-tool: \(dir.file("missing.csv")): no column 'b' (columns: a)\n")
    }
}
