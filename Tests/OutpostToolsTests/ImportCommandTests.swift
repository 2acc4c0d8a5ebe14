import Foundation
import OutpostCore
import XCTest
@testable import OutpostTools

/// `outpost-tool import` on hand-written scikit-learn documents: node order, leaf path lengths,
/// fixed-point thresholds, the header constants, format versions and the errors.
final class ImportCommandTests: XCTestCase {
    /// Root splits `a` at 0.25; its right child (numbered 1, i.e. not in pre-order) splits `b` at
    /// −1.5; its left child (numbered 2) is a leaf of 2 samples. 4 samples in all.
    static func document(offset: Double = -0.6, childrenLeft: [Int] = [2, 3, -1, -1, -1], feature: [Int] = [0, 1, -2, -2, -2]) -> [String: Any] {
        [
            "format": "outpost-sklearn-isolation-forest", "version": 1, "sklearn_version": "test",
            "n_features_in": 2, "max_samples": 4, "offset": offset,
            "trees": [[
                "children_left": childrenLeft, "children_right": [1, 4, -1, -1, -1],
                "feature": feature, "threshold": [0.25, -1.5, -2, -2, -2], "n_node_samples": [4, 2, 2, 1, 1],
            ]],
        ]
    }

    func write(_ dir: TemporaryDirectory, _ document: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: document)
        return dir.write("trees.json", bytes: Array(data))
    }

    /// c(n) as sklearn's `_average_path_length`.
    static func c(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        return 2 * (log(Double(n - 1)) + 0.5772156649015329) - 2 * Double(n - 1) / Double(n)
    }

    func testTreeIsWrittenInPreOrderWithSklearnPathLengths() throws {
        let dir = TemporaryDirectory()
        let json = write(dir, Self.document())
        let run = runTool(["import", json, "--features", "a,b", "--out", dir.file("m.opm")])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("import: 1 trees, max_samples 4, 5 nodes"), run.stderr)
        let model = try LoadedModel.load(dir.file("m.opm"))
        XCTAssertEqual(model.forest.version, 1)
        XCTAssertEqual(model.forest.sampleSize, 4)
        XCTAssertEqual(model.forest.cPsiQ16, UInt32((Self.c(4) * 65536).rounded()))
        XCTAssertEqual(model.forest.thresholdScoreQ16, UInt32((0.6 * 65536).rounded()))
        // Decimals: the largest d with max|t| · 10^d ≤ 2^30 (0.25 → 9, 1.5 → 8).
        XCTAssertEqual(model.features.map(\.decimals), [9, 8])
        XCTAssertEqual(model.features.map(\.column), ["a", "b"])
        // Pre-order: root, leaf (2 samples, depth 1), split on b, two leaves at depth 2.
        let nodes = Array(model.bytes[(40 + 40 + 4)..<(model.bytes.count - 4)])
        func word(_ i: Int, _ at: Int) -> Int64 {
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(nodes[8 * i + at + k]) << (8 * k) }
            return Int64(Int32(bitPattern: v))
        }
        XCTAssertEqual(word(0, 0), 0 | 2 << 16, "root: feature 0, right child 2 nodes on")
        XCTAssertEqual(word(0, 4), 250_000_000, "⌊0.25 × 10^9⌋")
        XCTAssertEqual(word(1, 4), Int64((1 + Self.c(2)) * 65536), "left leaf: depth 1 + c(2)")
        XCTAssertEqual(word(2, 4), -150_000_000, "⌊−1.5 × 10^8⌋")
        XCTAssertEqual(word(3, 4), 2 * 65536, "depth 2 + c(1)")
        // Scores: the real-valued forest's 2^(−h/c(ψ)) for inputs on each side of each split.
        for (a, b, h) in [(0.25, 0.0, 1 + Self.c(2)), (0.26, -1.5, 2.0), (0.3, -1.4, 2.0), (-1.0, 9.0, 1 + Self.c(2))] {
            let inputs: [Int32] = [Int32((a * 1e9).rounded()), Int32((b * 1e8).rounded())]
            let score = model.scores(inputs: inputs)[0]
            XCTAssertEqual(Double(score.scoreQ16) / 65536, pow(2, -h / Self.c(4)), accuracy: 1e-4, "\(a), \(b)")
            XCTAssertEqual(score.anomaly, pow(2, -h / Self.c(4)) >= 0.6, "\(a), \(b)")
        }
    }

    func testProfileWritesVersion2AndTrainToo() throws {
        let dir = TemporaryDirectory()
        let json = write(dir, Self.document())
        XCTAssertEqual(runTool(["import", json, "--features", "temperature,humidity", "--profile", "medium", "--out", dir.file("m.opm")]).code, 0)
        let model = try LoadedModel.load(dir.file("m.opm"))
        XCTAssertEqual(model.forest.version, 2)
        XCTAssertEqual(Array(model.forest.profileName!.prefix(6)), Array("medium".utf8))
        XCTAssertEqual(model.features.map(\.coreCode), [0, 1])
        // The daemon's check passes for medium and names the mismatch for high.
        XCTAssertNil(ModelCapacity(trees: 100, nodes: 16_384, features: 16).check(model.forest, profile: "medium"))
        XCTAssertEqual(ModelCapacity(trees: 100, nodes: 16_384, features: 16).check(model.forest, profile: "high"), .otherProfile)

        let data = dir.write("t.csv", "temperature,humidity\n20,40\n21,41\n22,45\n19,39\n20.5,42\n")
        XCTAssertEqual(runTool(["train", "--input", data, "--out", dir.file("t.opm"), "--features", "temperature,humidity", "--trees", "3", "--profile", "test"]).code, 0)
        let trained = try LoadedModel.load(dir.file("t.opm"))
        XCTAssertEqual(trained.forest.version, 2)
        XCTAssertEqual(Array(trained.forest.profileName!.prefix(5)), Array("test\0".utf8))
        let bad = runTool(["train", "--input", data, "--out", dir.file("u.opm"), "--profile", "a profile name too long"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("a profile name is 1 to 16 printable ASCII bytes"), bad.stderr)
    }

    func testDecimalsOption() throws {
        let dir = TemporaryDirectory()
        let json = write(dir, Self.document())
        XCTAssertEqual(runTool(["import", json, "--features", "a,b", "--decimals", "3,1", "--out", dir.file("m.opm")]).code, 0)
        XCTAssertEqual(try LoadedModel.load(dir.file("m.opm")).features.map(\.decimals), [3, 1])
        let wrong = runTool(["import", json, "--features", "a,b", "--decimals", "3", "--out", dir.file("n.opm")])
        XCTAssertEqual(wrong.stderr, "outpost-tool: import: --decimals gives 1 values for 2 inputs\n")
    }

    func testBadDocumentsAreRefusedByName() {
        let dir = TemporaryDirectory()
        let cases: [([String: Any], String)] = [
            (Self.document(childrenLeft: [2, -1, -1, -1, -1]), "tree 0: node 1 has one child"),
            (Self.document(feature: [0, 5, -2, -2, -2]), "tree 0: node 1 splits on input 5; the model has 2"),
            (Self.document(childrenLeft: [2, 3, -1, -1, 0]), "tree 0: node 4 has one child"),
            (Self.document(offset: 0.2), "offset 0.2 gives a threshold score outside (0, 1]"),
            (Self.document().merging(["version": 2]) { $1 }, "unsupported \"version\""),
            (Self.document().merging(["max_samples": 1]) { $1 }, "\"max_samples\" must be an integer in 2...65535"),
        ]
        for (document, message) in cases {
            let json = write(dir, document)
            let run = runTool(["import", json, "--features", "a,b", "--out", dir.file("bad.opm")])
            XCTAssertEqual(run.code, 2, message)
            XCTAssertTrue(run.stderr.contains(message), "\(message): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("bad.opm")))
        }
        let json = write(dir, Self.document())
        XCTAssertTrue(runTool(["import", json, "--features", "a", "--out", dir.file("bad.opm")]).stderr.contains("--features names 1 inputs; "))
        XCTAssertTrue(runTool(["import", "--features", "a,b", "--out", dir.file("bad.opm")]).stderr.contains("no TREES.json given"))
    }
}
