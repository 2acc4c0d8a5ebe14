import XCTest
@testable import OutpostTools

final class SensorGeneratorTests: XCTestCase {
    func generate(_ options: GeneratorOptions) throws -> (text: String, summary: SensorGenerator.Summary) {
        let sink = TextSink.memory()
        let summary = try SensorGenerator(options: options).write(to: sink)
        return (sink.capturedText, summary)
    }

    func options(sensors: Int, durationS: Double, seed: UInt64 = 1) -> GeneratorOptions {
        var options = GeneratorOptions()
        options.sensors = sensors
        options.durationS = durationS
        options.seed = seed
        return options
    }

    func testSameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = try generate(options(sensors: 7, durationS: 30, seed: 5)).text
        let b = try generate(options(sensors: 7, durationS: 30, seed: 5)).text
        let c = try generate(options(sensors: 7, durationS: 30, seed: 6)).text
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        // The command line gives the same bytes as the library.
        let run = runTool(["gen", "--sensors", "7", "--duration", "30", "--seed", "5"])
        XCTAssertEqual(run.code, 0)
        XCTAssertEqual(run.stdout, a)
        XCTAssertEqual(run.stderr, "")
    }

    func testASensorDoesNotDependOnHowManyAreGenerated() throws {
        let few = try CSVTable(bytes: Array(try generate(options(sensors: 3, durationS: 20)).text.utf8), name: "few")
        let many = try CSVTable(bytes: Array(try generate(options(sensors: 9, durationS: 20)).text.utf8), name: "many")
        let fewRows = (0..<few.rowCount).filter { few.text(row: $0, column: 0) == "sensor-002" }
        let manyRows = (0..<many.rowCount).filter { many.text(row: $0, column: 0) == "sensor-002" }
        XCTAssertEqual(fewRows.count, 20)
        XCTAssertEqual(manyRows.count, 20)
        for (f, m) in zip(fewRows, manyRows) {
            for column in 0..<few.columns.count {
                XCTAssertEqual(few.text(row: f, column: column), many.text(row: m, column: column))
            }
        }
    }

    func testLayoutOrderAndColumns() throws {
        var o = options(sensors: 12, durationS: 10)
        o.ratePerS = 2
        let (text, summary) = try generate(o)
        let table = try CSVTable(bytes: Array(text.utf8), name: "gen")
        XCTAssertEqual(table.columns, SensorGenerator.columns)
        XCTAssertEqual(table.rowCount, 12 * 20)
        XCTAssertEqual(summary.rows, table.rowCount)
        for row in 0..<table.rowCount {
            let step = row / 12
            let sensor = row % 12 + 1
            XCTAssertEqual(table.text(row: row, column: 0), String(format: "sensor-%03d", sensor))
            XCTAssertEqual(try table.double(row: row, column: 1), Double(o.startMs + Int64(step) * 500))
            let battery = table.text(row: row, column: 7)
            if sensor % 5 == 0 {
                XCTAssertEqual(battery, "", "every 5th sensor is mains powered")
            } else {
                let percent = try table.double(row: row, column: 7)
                XCTAssertTrue(percent >= 0 && percent <= 100)
            }
            let label = table.text(row: row, column: 10)
            XCTAssertTrue(label == "0" || label == "1")
            // At most 3 decimals for readings, 6 for coordinates.
            for column in 2...7 {
                let field = table.text(row: row, column: column)
                if let dot = field.firstIndex(of: ".") { XCTAssertLessThanOrEqual(field[dot...].count - 1, 3) }
            }
            for column in 8...9 {
                let field = table.text(row: row, column: column)
                if let dot = field.firstIndex(of: ".") { XCTAssertLessThanOrEqual(field[dot...].count - 1, 6) }
            }
        }
        XCTAssertFalse(text.hasSuffix("\n\n"))
    }

    func testBaseValuesAndAnomalyShareAreAsSpecified() throws {
        let o = options(sensors: 60, durationS: 600, seed: 42)
        let (text, summary) = try generate(o)
        let table = try CSVTable(bytes: Array(text.utf8), name: "gen")
        // Means over normal rows: each sensor's base is drawn once, so the spread of the mean is
        // σ_base / √60 (plus much smaller noise): temperature 0.65, humidity 1.9, pressure 2.6,
        // vibration 0.013, power 2.6. Allow about four of those.
        let expected: [(column: Int, mean: Double, tolerance: Double)] = [
            (2, 25, 2.6), (3, 60, 7.5), (4, 1013, 10.5), (5, 0.5, 0.052), (6, 100, 10.5),
        ]
        var sums = [Double](repeating: 0, count: 11)
        var normalRows = 0
        var anomalousRows = 0
        for row in 0..<table.rowCount {
            if try table.label(row: row, column: 10) {
                anomalousRows += 1
                continue
            }
            normalRows += 1
            for item in expected { sums[item.column] += try table.double(row: row, column: item.column) }
        }
        for item in expected {
            XCTAssertEqual(sums[item.column] / Double(normalRows), item.mean, accuracy: item.tolerance, table.columns[item.column])
        }
        XCTAssertEqual(anomalousRows, summary.anomalousRows)
        // Long-run share p·D / (p·D + 1 − p) ≈ 0.62 at the defaults; the first minute starts from
        // no anomaly, which lowers it a little.
        let share = Double(anomalousRows) / Double(table.rowCount)
        XCTAssertEqual(share, o.expectedAnomalyShare, accuracy: 0.06)
        XCTAssertEqual(o.expectedAnomalyShare, 30.5 / (30.5 + 19), accuracy: 1e-9)
    }

    func testAnomaliesShiftTheirFeatures() throws {
        var o = options(sensors: 40, durationS: 600, seed: 9)
        o.anomalyStartProbability = 0.002
        let table = try CSVTable(bytes: Array(try generate(o).text.utf8), name: "gen")
        // Vibration anomalies add 2–5 m/s² to a base near 0.5: anomalous rows must average higher.
        var normal = (sum: 0.0, count: 0)
        var anomalous = (sum: 0.0, count: 0)
        for row in 0..<table.rowCount {
            let vibration = try table.double(row: row, column: 5)
            if try table.label(row: row, column: 10) {
                anomalous.sum += vibration
                anomalous.count += 1
            } else {
                normal.sum += vibration
                normal.count += 1
            }
        }
        let share = Double(anomalous.count) / Double(table.rowCount)
        XCTAssertEqual(share, o.expectedAnomalyShare, accuracy: 0.035)
        XCTAssertGreaterThan(anomalous.count, 0)
        XCTAssertGreaterThan(anomalous.sum / Double(anomalous.count), normal.sum / Double(normal.count) + 0.5)
    }

    func testNoAnomaliesAtProbabilityZero() throws {
        var o = options(sensors: 5, durationS: 100)
        o.anomalyStartProbability = 0
        XCTAssertEqual(try generate(o).summary.anomalousRows, 0)
    }

    func testBadFlagsExitWithCodeTwo() {
        let cases: [([String], String)] = [
            (["gen", "--sensors", "0"], "outpost-tool: gen: --sensors: 0 is out of range 1...100000\n"),
            (["gen", "--sensors", "ten"], "outpost-tool: gen: --sensors: 'ten' is not a whole number\n"),
            (["gen", "--rate", "fast"], "outpost-tool: gen: --rate: 'fast' is not a number\n"),
            (["gen", "--duration", "0"], "outpost-tool: gen: --duration: 0 is out of range (0, 1000000000]\n"),
            (["gen", "--seed", "-1"], "outpost-tool: gen: --seed: '-1' is not a whole number in 0...18446744073709551615\n"),
            (["gen", "--sensors"], "outpost-tool: gen: option '--sensors' needs a value\n"),
            (["gen", "--sensor", "3"], "outpost-tool: gen: unknown option '--sensor' (see 'outpost-tool gen --help')\n"),
            (["gen", "--seed", "1", "--seed", "2"], "outpost-tool: gen: option '--seed' given twice\n"),
            (["gen", "extra"], "outpost-tool: gen: unexpected argument 'extra' (see 'outpost-tool gen --help')\n"),
        ]
        for (arguments, message) in cases {
            let run = runTool(arguments)
            XCTAssertEqual(run.code, 2, arguments.joined(separator: " "))
            XCTAssertEqual(run.stderr, message)
            XCTAssertEqual(run.stdout, "")
        }
    }

    func testHelp() {
        let run = runTool(["gen", "--help"])
        XCTAssertEqual(run.code, 0)
        XCTAssertTrue(run.stdout.contains("--sensors N"))
        XCTAssertEqual(run.stderr, "")
    }
}
