import OutpostCore
import XCTest
@testable import OutpostTools

final class LoadedModelTests: XCTestCase {
    func validModel() -> [UInt8] {
        let forest = TrainedForest(
            featureCount: 1, sampleSize: 2, heightLimit: 1,
            nodes: [TrainedNode(feature: 0, rightOffset: 2, value: 0), .leaf(pathLengthQ16: 65536), .leaf(pathLengthQ16: 65536)],
            roots: [0])
        return ModelEncoder.encode(forest: forest, features: [ModelFeature(column: "x", decimals: 0)], threshold: .never)
    }

    /// Runs `score` on a model file holding `bytes`; returns the exit code and stderr.
    func scoreWith(_ bytes: [UInt8], dir: TemporaryDirectory) -> (code: Int32, stderr: String, path: String) {
        let model = dir.write("model.opm", bytes: bytes)
        let data = dir.write("d.csv", "x\n1\n")
        let run = runTool(["score", "--model", model, "--input", data])
        return (run.code, run.stderr, model)
    }

    func testValidModelScores() {
        let dir = TemporaryDirectory()
        XCTAssertEqual(scoreWith(validModel(), dir: dir).code, 0)
    }

    func testBadMagic() {
        let dir = TemporaryDirectory()
        var bytes = validModel()
        bytes[0] = UInt8(ascii: "X")
        let run = scoreWith(bytes, dir: dir)
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(run.path): not an Outpost model file (bad magic, expected \"OPIF\")\n")
        // A CSV passed as a model is refused the same way.
        let csv = scoreWith(Array("sensor_id,temperature\ns,1\n".utf8) + [UInt8](repeating: 0x20, count: 64), dir: dir)
        XCTAssertTrue(csv.stderr.contains("bad magic"))
    }

    func testUnknownVersion() {
        let dir = TemporaryDirectory()
        var bytes = validModel()
        bytes[4] = 4
        let run = scoreWith(bytes, dir: dir)
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(run.path): unsupported model format version 4 (this build reads versions 1, 2 and 3)\n")
    }

    func testBadChecksum() {
        let dir = TemporaryDirectory()
        var bytes = validModel()
        bytes[bytes.count - 10] ^= 0x01  // a leaf value
        let run = scoreWith(bytes, dir: dir)
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(run.path): model checksum mismatch (CRC-32C): the file is damaged\n")
    }

    func testTruncatedAndEmptyFiles() {
        let dir = TemporaryDirectory()
        let truncated = scoreWith(Array(validModel().prefix(60)), dir: dir)
        XCTAssertEqual(truncated.code, 2)
        XCTAssertEqual(truncated.stderr, "outpost-tool: \(truncated.path): not a complete model file (60 bytes; truncated or empty)\n")
        let empty = scoreWith([], dir: dir)
        XCTAssertEqual(empty.code, 2)
        XCTAssertTrue(empty.stderr.contains("(0 bytes; truncated or empty)"))
    }

    func testMalformedButCorrectlyChecksummed() {
        let dir = TemporaryDirectory()
        var bytes = Array(validModel().dropLast(4))
        bytes[14] = 1  // flags must be 0
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        bytes += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        let run = scoreWith(bytes, dir: dir)
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(run.path): malformed model file (breaks a rule of docs/MODEL_FORMAT.md)\n")
    }

    func testMissingModelFile() {
        let run = runTool(["score", "--model", "/nonexistent/m.opm", "--input", "-"])
        XCTAssertEqual(run.code, 2)
        XCTAssertTrue(run.stderr.hasPrefix("outpost-tool: /nonexistent/m.opm: cannot open"))
    }
}
