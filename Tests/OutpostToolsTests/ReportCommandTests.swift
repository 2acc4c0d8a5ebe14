import Foundation
import FoundationXML
import Glibc
import OutpostCore
@testable import OutpostTools
import XCTest

/// `outpost-tool report` on logs written by the test through the core's LogStore over a real file:
/// the page holds well-formed SVG charts (each `<svg>` parsed by XMLParser), one per quantity with
/// the anomalies and alerts that were written, and the other sections; bad input gives a clear
/// error and exit code; a damaged log is reported with a warning.
final class ReportCommandTests: XCTestCase {
    let geometry = LogGeometry(segmentSizeBytes: 16384, segmentCount: 8)!
    let startMs: Int64 = 1_765_000_000_000

    func withStore(_ path: String, _ body: (inout LogStore<LogCommandFile>) throws -> Void) throws {
        let file = try LogCommandFile.create(path, sizeBytes: geometry.fileSizeBytes)
        defer { file.close() }
        let bytes = LogStore<LogCommandFile>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512)
        let base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        defer { base.deallocate() }
        var arena = Arena(base: base, sizeBytes: bytes)
        var store = try LogStore(device: file, arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: true)
        try body(&store)
    }

    /// What `writeLog` wrote, to compare with the page.
    struct Written {
        var readings: [String: Int] = [:]
        var anomalies: [String: Int] = [:]
        var alertsRaised = 0
        var alertsCleared = 0
        var summaries = 0
    }

    /// Three sensors, one reading each per 10 s for `perSensor` readings: "a" and "b" report
    /// temperature and humidity, "c&<d>" (a name that needs escaping) only pressure. Every 40th
    /// reading of "a" is an anomaly with a spike; a threshold alert is raised and cleared around
    /// it; a window summary per sensor every 60 readings.
    @discardableResult
    func writeLog(_ path: String, perSensor: Int = 300) throws -> Written {
        var written = Written()
        let names = ["a-01", "b-02", "c&<d>"]
        let sensorNames: [SensorName] = [SensorName("a-01"), SensorName("b-02"), SensorName("c&<d>")]
        try withStore(path) { store in
            for i in 0..<perSensor {
                let t = startMs + Int64(i) * 10_000
                for (s, name) in names.enumerated() {
                    var features = FeatureVector()
                    let anomaly = s == 0 && i % 40 == 20
                    if s < 2 {
                        features[.temperature] = Int32(20_000 + s * 3_000 + (i % 30) * 50 + (anomaly ? 25_000 : 0))
                        features[.humidity] = Int32(45_000 + (i % 20) * 100)
                    } else {
                        features[.pressure] = Int32(1_013_250 + (i % 50) * 10)
                    }
                    let status: Status = anomaly ? .alert : (i % 25 == 0 ? .warning : .normal)
                    let reading = ProcessedReading(sensorSlot: UInt16(s), status: status, anomaly: anomaly, scoreQ16: anomaly ? 60_000 : 20_000,
                                                   timestampMs: t, features: features, batteryMilliPercent: nil)
                    try store.append(reading: reading, name: sensorNames[s])
                    written.readings[name, default: 0] += 1
                    if anomaly {
                        written.anomalies[name, default: 0] += 1
                        try store.append(alert: AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                                                           value: features[.temperature]!, threshold: 40_000, confidenceQ16: 0, timestampMs: t),
                                         name: sensorNames[s])
                        written.alertsRaised += 1
                        try store.append(alert: AlertEvent(raised: false, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                                                           value: 21_000, threshold: 40_000, confidenceQ16: 0, timestampMs: t + 10_000),
                                         name: sensorNames[s])
                        written.alertsCleared += 1
                    }
                    if i % 60 == 59 {
                        var summary = WindowSummary(span: .fiveMinutes)
                        summary.normalCount = 55
                        summary.warningCount = 3
                        summary.alertCount = 2
                        summary.anomalyCount = 2
                        summary.features[Feature.temperature.index] = FeatureStats(count: 60, mean: 21_250, standardDeviation: 750, minimum: 20_000, maximum: 45_000)
                        try store.append(summary: summary, name: sensorNames[s], timestampMs: t)
                        written.summaries += 1
                    }
                }
            }
            try store.commit()
        }
        return written
    }

    /// Every `<svg>...</svg>` of `html`, each parsed as an XML document: its root attributes and
    /// the count of each element name.
    struct ParsedSVG {
        var id = ""
        var elements: [String: Int] = [:]
        var classes: [String: Int] = [:]
        var texts: [String] = []
    }

    final class SVGDelegate: NSObject, XMLParserDelegate {
        var parsed = ParsedSVG()
        var error: Error?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            if name == "svg" && parsed.id.isEmpty { parsed.id = attributes["id"] ?? "" }
            parsed.elements[name, default: 0] += 1
            if let cls = attributes["class"] { parsed.classes[cls, default: 0] += 1 }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { parsed.texts.append(string) }
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }
    }

    func svgs(_ html: String) throws -> [ParsedSVG] {
        var result: [ParsedSVG] = []
        var rest = html[...]
        while let open = rest.range(of: "<svg ") {
            let close = try XCTUnwrap(rest.range(of: "</svg>", range: open.upperBound..<rest.endIndex), "an <svg> without </svg>")
            let text = String(rest[open.lowerBound..<close.upperBound])
            let parser = XMLParser(data: Data(text.utf8))
            let delegate = SVGDelegate()
            parser.delegate = delegate
            let ok = parser.parse()
            XCTAssertTrue(ok, "SVG not well-formed: \(String(describing: delegate.error ?? parser.parserError)) in \(text.prefix(300))")
            result.append(delegate.parsed)
            rest = rest[close.upperBound...]
        }
        return result
    }

    func testReportHasAWellFormedChartPerQuantityWithAnomaliesAlertsAndTables() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        let written = try writeLog(path)
        let out = dir.file("report.html")
        let run = runTool(["report", path, "--out", out])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("outpost-tool report: wrote \(out) ("), run.stdout)
        XCTAssertEqual(run.stderr, "", "a small clean log: no progress, no warning")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        // Self-contained: nothing is fetched.
        for external in ["<script", "<link", "src=", "url(", "http://", "https://"] where external != "http://" {
            XCTAssertFalse(html.contains(external), external)
        }
        XCTAssertEqual(html.components(separatedBy: "http://").count - 1, html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1,
                       "the only URLs are the SVG namespace")

        let charts = try svgs(html)
        let ids = charts.map(\.id)
        // One chart per quantity that was written, and none for those that were not.
        XCTAssertEqual(ids.filter { $0.hasPrefix("chart-") && ["temperature", "humidity", "pressure", "vibration", "power_consumption"].contains(String($0.dropFirst(6))) },
                       ["chart-temperature", "chart-humidity", "chart-pressure"])
        XCTAssertEqual(Set(ids), ["chart-temperature", "chart-humidity", "chart-pressure", "chart-anomaly-rate", "chart-alert-timeline", "chart-status-mix"])

        let temperature = try XCTUnwrap(charts.first { $0.id == "chart-temperature" })
        // Two sensors report temperature: a band and a line each.
        XCTAssertEqual(temperature.elements["polygon"], 2)
        XCTAssertEqual(temperature.elements["polyline"], 2)
        // Each anomaly of "a-01" falls in its own bucket (300 readings over 480 buckets).
        XCTAssertEqual(temperature.classes["anomaly"], written.anomalies["a-01"])
        XCTAssertEqual(temperature.classes["alert-mark"], written.alertsRaised)
        let humidity = try XCTUnwrap(charts.first { $0.id == "chart-humidity" })
        XCTAssertNil(humidity.classes["alert-mark"], "the alerts are on temperature")
        XCTAssertEqual(humidity.classes["anomaly"], written.anomalies["a-01"], "an anomalous reading is marked on each of its quantities")
        let pressure = try XCTUnwrap(charts.first { $0.id == "chart-pressure" })
        XCTAssertEqual(pressure.elements["polyline"], 1)
        XCTAssertNil(pressure.classes["anomaly"])

        let timeline = try XCTUnwrap(charts.first { $0.id == "chart-alert-timeline" })
        XCTAssertEqual(timeline.classes["alert-raised"], written.alertsRaised)
        XCTAssertEqual(timeline.classes["alert-cleared"], written.alertsCleared)
        let rate = try XCTUnwrap(charts.first { $0.id == "chart-anomaly-rate" })
        XCTAssertEqual(rate.classes["bar"], 3)
        let expectedRate = Double(written.anomalies["a-01"]!) * 100 / Double(written.readings["a-01"]!)
        XCTAssertTrue(rate.texts.joined().contains("\(String(format: "%.2f", expectedRate)) % (\(written.anomalies["a-01"]!) of 300)"), rate.texts.joined())
        let mix = try XCTUnwrap(charts.first { $0.id == "chart-status-mix" })
        XCTAssertEqual(mix.classes["status-normal"], 3)
        XCTAssertEqual(mix.classes["status-alert"], 1, "only a-01 has alert readings")
        // The escaped sensor name comes back as written.
        XCTAssertTrue(mix.texts.joined().contains("c&<d>normal: 288"), "\(mix.texts)")

        // Window statistics: the newest summary of each sensor, with its temperature statistics.
        XCTAssertTrue(html.contains("<table id=\"window-statistics\">"))
        XCTAssertTrue(html.contains("21.25 ± 0.75<br><span class=\"sub\">[20, 45]</span>"), "temperature statistics of the summaries")
        XCTAssertTrue(html.contains("\(written.summaries) window summary record(s) read"))
        XCTAssertTrue(html.contains("<b>\(written.readings.values.reduce(0, +) + written.alertsRaised + written.alertsCleared + written.summaries)</b><span>records</span>"))
    }

    func testProgressLinesAreFewAndEndAtTheTotal() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        let written = try writeLog(path, perSensor: 100)
        let total = written.readings.values.reduce(0, +) + written.alertsRaised + written.alertsCleared + written.summaries
        XCTAssertEqual(total, 307)
        let run = runTool(["report", path, "--out", dir.file("r.html"), "--progress", "always"])
        XCTAssertEqual(run.code, 0, run.stderr)
        let lines = run.stderr.split(separator: "\n")
        // A fast read: only the last line of each pass.
        XCTAssertEqual(lines, ["outpost-tool report: pass 1/2: \(total) / \(total) records (100%)", "outpost-tool report: pass 2/2: \(total) / \(total) records (100%)"])
        let quiet = runTool(["report", path, "--out", dir.file("r.html"), "--progress", "never"])
        XCTAssertEqual(quiet.stderr, "")
        let bad = runTool(["report", path, "--out", dir.file("r.html"), "--progress", "sometimes"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("--progress must be auto, always or never (got 'sometimes')"), bad.stderr)
    }

    func testBadInputGivesAClearErrorAndExitCode() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("report.html")
        let text = dir.write("notes.txt", String(repeating: "not a log\n", count: 300))
        let notALog = runTool(["report", text, "--out", out])
        XCTAssertEqual(notALog.code, 2)
        XCTAssertEqual(notALog.stderr, "outpost-tool: \(text): not an Outpost log (no OPLG magic at offset 0)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no page for a file that is not a log")

        let missing = runTool(["report", dir.file("missing.log"), "--out", out])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.stderr.contains("missing.log: cannot open: No such file or directory"), missing.stderr)

        // Both copies of the file header damaged: refused, not guessed at.
        let path = dir.file("outpost.log")
        try writeLog(path, perSensor: 20)
        var bytes = dir.read("outpost.log")
        bytes[17] ^= 0x01
        bytes[LogFormat.fileHeaderCopyOffset + 17] ^= 0x01
        let corrupt = dir.write("corrupt.log", bytes: bytes)
        let damagedHeader = runTool(["report", corrupt, "--out", out])
        XCTAssertEqual(damagedHeader.code, 2)
        XCTAssertTrue(damagedHeader.stderr.contains("\(corrupt): corrupt log file header: neither copy"), damagedHeader.stderr)

        let blank = dir.write("blank.log", bytes: [UInt8](repeating: 0, count: 8192))
        let blankRun = runTool(["report", blank, "--out", out])
        XCTAssertEqual(blankRun.code, 2)
        XCTAssertTrue(blankRun.stderr.contains("not an Outpost log (the header is blank"), blankRun.stderr)

        let noOut = runTool(["report", path])
        XCTAssertEqual(noOut.code, 2)
        XCTAssertTrue(noOut.stderr.contains("--out"), noOut.stderr)
        let unwritable = runTool(["report", path, "--out", dir.file("no/such/dir/r.html")])
        XCTAssertEqual(unwritable.code, 2)
        XCTAssertTrue(unwritable.stderr.contains("no/such/dir/r.html: cannot create: No such file or directory"), unwritable.stderr)
        XCTAssertEqual(runTool(["report", "--help"]).code, 0)
    }

    func testDamagedRecordsAreReportedAndTheRestIsCharted() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try writeLog(path, perSensor: 100)
        var bytes = dir.read("outpost.log")
        // A record in the middle of segment 0: flip a payload bit (its CRC fails).
        let start = Int(geometry.offset(ofSegment: 0)) + LogFormat.segmentHeaderBytes
        var offset = start
        for _ in 0..<40 { offset += Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
        bytes[offset + 7] ^= 0x10
        dir.write("outpost.log", bytes: bytes)
        let out = dir.file("report.html")
        let run = runTool(["report", path, "--out", out])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("\(path): damaged log: 1 damaged stretch(es), 1 record(s) lost"), run.stderr)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(html.contains("<div class=\"warn\" id=\"damage\">damaged log: 1 damaged stretch(es), 1 record(s) lost"))
        XCTAssertTrue(html.contains("<b>306</b><span>records</span>"), "307 written, one lost")
        XCTAssertEqual(try svgs(html).filter { $0.id == "chart-temperature" }.count, 1)
    }

    func testAnEmptyLogGivesAPageThatSaysSo() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try withStore(path) { store in try store.commit() }
        let out = dir.file("report.html")
        let run = runTool(["report", path, "--out", out])
        XCTAssertEqual(run.code, 0, run.stderr)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(html.contains("No readings in this log: nothing to chart."))
        XCTAssertTrue(html.contains("No alerts in this log."))
        XCTAssertEqual(try svgs(html).count, 0)
    }

    /// Bounded output: a long series is reduced to the bucket count, whatever its length.
    func testLongSeriesAreDownsampledWithSpikesKept() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try withStore(path) { store in
            for i in 0..<3000 {
                var features = FeatureVector()
                // One spike of 99 °C in 3000 readings of about 20 °C.
                features[.temperature] = i == 1234 ? 99_000 : Int32(20_000 + i % 7)
                let reading = ProcessedReading(sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0,
                                               timestampMs: startMs + Int64(i) * 1000, features: features, batteryMilliPercent: nil)
                try store.append(reading: reading, name: SensorName("long"))
            }
            try store.commit()
        }
        let out = dir.file("report.html")
        XCTAssertEqual(runTool(["report", path, "--out", out]).code, 0)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let chart = try XCTUnwrap(html.range(of: "id=\"chart-temperature\"")).lowerBound
        let polyline = try XCTUnwrap(html.range(of: "<polyline points=\"", range: chart..<html.endIndex))
        let points = html[polyline.upperBound...].prefix { $0 != "\"" }.split(separator: " ")
        XCTAssertEqual(points.count, ReportSeries.bucketCount)
        // The spike is the top of the band: the y axis reaches past 99.
        XCTAssertTrue(html.contains(">100</text>") || html.contains(">99</text>"), "the y axis covers the spike")
        // No summary records: the window statistics are computed from the readings, over each
        // window before the newest reading (1 min: the last 60 readings; 1 h: all 3000, spike included).
        XCTAssertTrue(html.contains("these statistics are computed from the readings"))
        let minute = (2940..<3000).map { Double(20_000 + $0 % 7) / 1000 }
        let mean = minute.reduce(0, +) / 60
        let deviation = (minute.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 60).squareRoot()
        let minuteRow = "<td class=\"l\">long</td><td>1 min</td><td class=\"l\">2025-12-06 06:36:39 UTC</td><td>60</td><td>0</td><td>0</td><td>0</td><td>"
            + ReportSVG.value(mean, decimals: 2) + " ± " + ReportSVG.value(deviation, decimals: 2) + "<br><span class=\"sub\">[20, 20.006]</span></td>"
        XCTAssertTrue(html.contains(minuteRow), minuteRow)
        XCTAssertTrue(html.contains("<td class=\"l\">long</td><td>1 h</td><td class=\"l\">2025-12-06 06:36:39 UTC</td><td>3000</td>"))
        XCTAssertTrue(html.contains("[20, 99]</span>"), "the hour's maximum is the spike")
    }

    /// `--csv`: generated readings replayed through the medium profile's pipeline into a log, then
    /// reported: a chart for each of the five quantities and the replay's window summary records.
    func testReportOfReplayedCSVReadings() throws {
        let dir = TemporaryDirectory()
        let csv = dir.file("readings.csv")
        let gen = runTool(["gen", "--sensors", "3", "--duration", "600", "--seed", "5", "--out", csv])
        XCTAssertEqual(gen.code, 0, gen.stderr)
        let out = dir.file("report.html")
        let kept = dir.file("replay.log")
        let run = runTool(["report", "--csv", csv, "--out", out, "--keep-log", kept])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("outpost-tool report: replayed 1800 readings of \(csv) through the medium profile's pipeline\n"), run.stderr)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        let ids = try svgs(html).map(\.id)
        for quantity in ["temperature", "humidity", "pressure", "vibration", "power_consumption"] {
            XCTAssertEqual(ids.filter { $0 == "chart-" + quantity }.count, 1, quantity)
        }
        XCTAssertTrue(html.contains("<b>1800</b><span>readings</span>"))
        // The kept log is an ordinary log: its summary records are the ones the page counted.
        let stats = runTool(["log", "stats", kept])
        XCTAssertEqual(stats.code, 0, stats.stderr)
        let summaries = try XCTUnwrap(stats.stdout.split(separator: "\n").first { $0.hasPrefix("records_window_summary: ") }).split(separator: " ")[1]
        XCTAssertGreaterThan(Int(summaries)!, 0)
        XCTAssertTrue(html.contains("\(summaries) window summary record(s) read"), String(summaries))
        XCTAssertTrue(html.contains("\(csv) (replayed)"))

        let bad = dir.write("bad.csv", "time,value\n1,2\n")
        let refused = runTool(["report", "--csv", bad, "--out", out])
        XCTAssertEqual(refused.code, 2)
        XCTAssertTrue(refused.stderr.contains("\(bad):1: not the CSV header written by outpost-tool gen"), refused.stderr)
        var rows = try String(contentsOfFile: csv, encoding: .utf8)
        rows += "sensor-009,notatime,1,2,3,4,5,,0,0,0\n"
        let damaged = dir.write("damaged.csv", rows)
        let skipped = runTool(["report", "--csv", damaged, "--out", out])
        XCTAssertEqual(skipped.code, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("\(damaged): 1 row(s) that do not parse skipped"), skipped.stderr)
        let both = runTool(["report", kept, "--csv", csv, "--out", out])
        XCTAssertEqual(both.code, 2)
        XCTAssertTrue(both.stderr.contains("give a LOG_FILE or --csv, not both"), both.stderr)
        let missing = runTool(["report", "--csv", dir.file("none.csv"), "--out", out])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.stderr.contains("none.csv: cannot read"), missing.stderr)
    }
}
