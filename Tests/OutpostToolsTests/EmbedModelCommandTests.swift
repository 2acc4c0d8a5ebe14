import OutpostCore
import XCTest
@testable import OutpostTools

final class EmbedModelCommandTests: XCTestCase {
    func testWritesTheBytesAndAccessors() throws {
        let dir = TemporaryDirectory()
        let forest = TrainedForest(
            featureCount: 1, sampleSize: 2, heightLimit: 1,
            nodes: [TrainedNode(feature: 0, rightOffset: 2, value: 0), .leaf(pathLengthQ16: 65536), .leaf(pathLengthQ16: 65536)],
            roots: [0])
        let bytes = ModelEncoder.encode(forest: forest, features: [ModelFeature(column: "x", decimals: 0)], threshold: .never)
        let model = dir.write("m.opm", bytes: bytes)
        let run = runTool(["embed-model", model, "--name", "medium", "--out", dir.file("model_medium.c")])
        XCTAssertEqual(run.code, 0, run.stderr)
        let text = String(decoding: dir.read("model_medium.c"), as: UTF8.self)
        XCTAssertTrue(text.contains("static const uint8_t model[] __attribute__((aligned(16))) = {\n    0x4f, 0x50, 0x49, 0x46,"))
        XCTAssertTrue(text.contains("const uint8_t *outpost_model_medium_bytes(void) { return model; }"))
        XCTAssertTrue(text.contains("uint32_t outpost_model_medium_size(void) { return (uint32_t)sizeof model; }"))
        XCTAssertTrue(text.contains("#include \"CProfileModels.h\""))
        // The array holds exactly the file's bytes, in order.
        let body = text[text.range(of: "= {\n")!.upperBound..<text.range(of: "};")!.lowerBound]
        let parsed = body.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).map { UInt8($0.dropFirst(2), radix: 16)! }
        XCTAssertEqual(parsed, bytes)
        // Same input, same text (stdout form).
        let again = runTool(["embed-model", model, "--name", "medium"])
        XCTAssertEqual(again.stdout, text)
    }

    func testRefusesBadModelsAndNames() {
        let dir = TemporaryDirectory()
        let junk = dir.write("junk.opm", bytes: [UInt8](repeating: 7, count: 100))
        let run = runTool(["embed-model", junk, "--name", "medium", "--out", dir.file("x.c")])
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(junk): not an Outpost model file (bad magic, expected \"OPIF\")\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("x.c")))
        for name in ["Medium", "1st", "with-dash", ""] {
            let bad = runTool(["embed-model", junk, "--name", name])
            XCTAssertEqual(bad.code, 2, name)
        }
        XCTAssertEqual(runTool(["embed-model", "--name", "x"]).stderr,
                       "outpost-tool: embed-model: the model file is required (see 'outpost-tool embed-model --help')\n")
    }

    func testTheBakedProfileModelsLoad() throws {
        // The committed models (scripts/make-models.sh) load in the core and match their C arrays.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (name, trees) in [("medium", 50), ("high", 100), ("test", 10)] {
            let path = root.appendingPathComponent("Profiles/\(name)/model.opm").path
            let model = try LoadedModel.load(path)
            XCTAssertEqual(model.forest.treeCount, trees, name)
            XCTAssertEqual(model.features.map(\.column), TrainCommand.defaultFeatures)
            let source = EmbedModelCommand.source(model: model, name: name, modelPath: "Profiles/\(name)/model.opm")
            let committed = try String(contentsOfFile: root.appendingPathComponent("Sources/CProfileModels/model_\(name).c").path, encoding: .utf8)
            XCTAssertEqual(committed, source, name)
        }
    }
}
