import OutpostCore
import OutpostProfiles
import XCTest
@testable import OutpostTools

/// Context inputs through the tools: `train --context` writes format version 3, `score` and `eval`
/// read rows per sensor with the core's row builder, and the board's pipeline gives the same
/// scores as `outpost-tool score` on the same CSV.
final class ContextCommandTests: XCTestCase {
    /// A small context model for the test profile (its capacity: 16 trees, 1024 nodes, 8 inputs).
    func trainContextModel(_ dir: TemporaryDirectory) -> String {
        let train = dir.file("train.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "5", "--duration", "400", "--seed", "3", "--anomaly-probability", "0.01", "--out", train]).code, 0)
        let model = dir.file("ctx.opm")
        let run = runTool([
            "train", "--input", train, "--out", model, "--trees", "10", "--sample-size", "64", "--profile", "test",
            "--features", "temperature,vibration,power_consumption",
            "--context", "temperature:z,power_consumption:z,vibration:rate",
        ])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("temperature:z (3 decimals)"), run.stderr)
        return model
    }

    func testTrainWritesVersion3WithTheKinds() throws {
        let dir = TemporaryDirectory()
        let model = try LoadedModel.load(trainContextModel(dir))
        XCTAssertEqual(model.forest.version, 3)
        XCTAssertTrue(model.forest.usesContext)
        XCTAssertEqual(model.features.map(\.displayName), [
            "temperature", "vibration", "power_consumption", "temperature:z", "power_consumption:z", "vibration:rate",
        ])
        XCTAssertNil(ProfileTest.modelCapacity.check(model.forest, profile: ProfileTest.name))
    }

    /// The board's pipeline (the test profile, the model taken through the daemon's model slots)
    /// fed the CSV's readings in order gives every reading the score and decision `score` prints.
    func testThePipelinesScoresAreTheToolsScores() throws {
        let dir = TemporaryDirectory()
        let modelPath = trainContextModel(dir)
        let held = dir.file("held.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "5", "--duration", "300", "--seed", "9", "--anomaly-probability", "0.01", "--out", held]).code, 0)
        let run = runTool(["score", "--model", modelPath, "--input", held])
        XCTAssertEqual(run.code, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 1 + 5 * 300)

        let bytes = try FileBytes.read(modelPath)
        let arenaBytes = Pipeline<ProfileTest>.arenaBytesRequired + ModelSlots.arenaBytes(after: 0, capacity: ProfileTest.modelCapacity) + 256
        let memory = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: arenaBytes)
        var pipeline = Pipeline<ProfileTest>(arena: &arena)
        var slots = ModelSlots(arena: &arena, capacity: ProfileTest.modelCapacity)
        slots.spare.copyBytes(from: bytes)
        pipeline.install(try slots.take(count: bytes.count, profile: ProfileTest.name), nowMs: 0)

        let readings = try ContextRows.readings(table: try CSVTable.load(held))
        var anomalies = 0
        for (index, reading) in readings.enumerated() {
            guard case .accepted(let processed) = pipeline.process(reading) else { return XCTFail("reading \(index) refused") }
            while pipeline.outbox.popFirst() != nil {}
            let expected = DecimalFormat.string(Double(processed.scoreQ16) / 65536, decimals: 6) + "," + (processed.anomaly ? "1" : "0")
            XCTAssertEqual(lines[index + 1], expected, "row \(index + 1)")
            if processed.anomaly { anomalies += 1 }
        }
        XCTAssertGreaterThan(anomalies, 0)
        XCTAssertLessThan(anomalies, readings.count)
    }

    func testEvalReadsContextModels() {
        let dir = TemporaryDirectory()
        let model = trainContextModel(dir)
        let held = dir.file("held.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "5", "--duration", "300", "--seed", "9", "--anomaly-kind", "temperature", "--out", held]).code, 0)
        let run = runTool(["eval", "--model", model, "--input", held])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("roc_auc 0."), run.stdout)
    }

    func testBadContextOptionsAreRefusedClearly() {
        let dir = TemporaryDirectory()
        let train = dir.file("train.csv")
        XCTAssertEqual(runTool(["gen", "--sensors", "2", "--duration", "20", "--out", train]).code, 0)
        let out = dir.file("m.opm")
        let noProfile = runTool(["train", "--input", train, "--out", out, "--context", "z"])
        XCTAssertEqual(noProfile.code, 2)
        XCTAssertEqual(noProfile.stderr, "outpost-tool: train: --context writes model format version 3, which names its profile: give --profile\n")
        let badKind = runTool(["train", "--input", train, "--out", out, "--profile", "test", "--context", "z,lag2"])
        XCTAssertEqual(badKind.code, 2)
        XCTAssertTrue(badKind.stderr.contains("'lag2' is not a context input (z, rate, lag1"), badKind.stderr)
        let otherColumn = runTool(["train", "--input", train, "--out", out, "--profile", "test", "--features", "temperature", "--context", "humidity:z"])
        XCTAssertEqual(otherColumn.code, 2)
        XCTAssertTrue(otherColumn.stderr.contains("'humidity' is not one of the features (temperature)"), otherColumn.stderr)
        let twice = runTool(["train", "--input", train, "--out", out, "--profile", "test", "--context", "z,temperature:z"])
        XCTAssertEqual(twice.code, 2)
        XCTAssertTrue(twice.stderr.contains("temperature:z is listed twice"), twice.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testAContextModelNeedsReadings() {
        let dir = TemporaryDirectory()
        let model = trainContextModel(dir)
        // Columns that are not the reading columns: no sensor, no time.
        dir.write("plain.csv", "temperature,vibration,power_consumption\n20,0.5,100\n")
        let plain = runTool(["score", "--model", model, "--input", dir.file("plain.csv")])
        XCTAssertEqual(plain.code, 2)
        XCTAssertTrue(plain.stderr.contains("a model with context inputs reads readings per sensor"), plain.stderr)
        // A reading without a quantity the model reads.
        let header = SensorGenerator.columns.joined(separator: ",")
        dir.write("gap.csv", header + "\nsensor-001,1767225600000,20.000,50.000,1013.000,,100.000,,,,0\n")
        let gap = runTool(["score", "--model", model, "--input", dir.file("gap.csv")])
        XCTAssertEqual(gap.code, 2)
        XCTAssertTrue(gap.stderr.contains("gap.csv:2: the row lacks a quantity the model reads"), gap.stderr)
        // A bad value: the daemon's parser names the column.
        dir.write("bad.csv", header + "\nsensor-001,1767225600000,hot,50.000,1013.000,0.5,100.000,,,,0\n")
        let bad = runTool(["score", "--model", model, "--input", dir.file("bad.csv")])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("bad.csv:2:3 (temperature)"), bad.stderr)
    }

    func testAnomalyKindForcesTheKindOnTheSameDraws() {
        let dir = TemporaryDirectory()
        var labels: [[Substring]] = []
        for kind in [nil, "temperature", "power"] as [String?] {
            var arguments = ["gen", "--sensors", "3", "--duration", "300", "--seed", "4", "--out", dir.file("g.csv")]
            if let kind { arguments += ["--anomaly-kind", kind] }
            XCTAssertEqual(runTool(arguments).code, 0)
            let text = String(decoding: dir.read("g.csv"), as: UTF8.self)
            labels.append(text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).last! })
        }
        // The same rows are anomalous whatever the kind: only the kind is forced.
        XCTAssertEqual(labels[0], labels[1])
        XCTAssertEqual(labels[0], labels[2])
        XCTAssertTrue(labels[0].contains("1"))
        let bad = runTool(["gen", "--anomaly-kind", "smoke"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertEqual(bad.stderr, "outpost-tool: gen: --anomaly-kind: 'smoke' is not a kind (temperature, vibration, power, multiple)\n")
    }
}
