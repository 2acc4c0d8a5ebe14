import Foundation
import OutpostCore
import XCTest

/// The uplink's SenML-CBOR packs: what each log record becomes, read back by the core's own SenML
/// decoder and by an independent CBOR decoder in the test.
final class SenMLEncoderTests: XCTestCase {
    /// Encodes `records` into one pack; returns the pack and the outcomes.
    func pack(_ records: [LogRecord], node: StaticString = "node-1", capacity: Int = 16_384) -> ([UInt8], [SenMLEncodeOutcome]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var encoder = SenMLEncoder(buffer: buffer, nodeId: SensorName(node))
        let outcomes = records.map { encoder.append($0) }
        return (Array(encoder.finish()), outcomes)
    }

    func coreDecode(_ bytes: [UInt8]) throws -> (SenMLDecodeResult, [Reading]) {
        let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 64)
        defer { readings.deallocate() }
        let result = try bytes.withUnsafeBytes {
            try SenMLDecoder.decodeCBOR($0, nowMs: TestRecords.startMs, into: readings)
        }
        return (result, Array(readings[0..<result.readingCount]))
    }

    func testReadingRoundTripsThroughTheCoreDecoder() throws {
        let at = TestRecords.startMs + 1_234
        var record = TestRecords.reading(
            "s1", timestampMs: at,
            features: [(.temperature, -12_345), (.humidity, 55_000), (.pressure, 1_013_251), (.vibration, 7), (.power, 1_500_000)],
            batteryMilliPercent: 87_500)
        record.sequence = 77
        let (bytes, outcomes) = pack([record])
        XCTAssertEqual(outcomes, [.appended])
        let (result, readings) = try coreDecode(bytes)
        XCTAssertEqual(result.readingCount, 1)
        XCTAssertEqual(result.unknownQuantityCount, 0)
        let reading = try XCTUnwrap(readings.first)
        XCTAssertEqual(reading.sensor, SensorName("node-1/s1"))
        XCTAssertEqual(reading.timestampMs, at)
        XCTAssertEqual(reading.features[.temperature], -12_345)
        XCTAssertEqual(reading.features[.humidity], 55_000)
        XCTAssertEqual(reading.features[.pressure], 1_013_251)
        XCTAssertEqual(reading.features[.vibration], 7)
        XCTAssertEqual(reading.features[.power], 1_500_000)
        XCTAssertEqual(reading.batteryMilliPercent, 87_500)
    }

    func testReadingRecordsCarryNameUnitSequenceAndBaseNameOnce() throws {
        var first = TestRecords.reading("s1", timestampMs: TestRecords.startMs, features: [(.temperature, 21_000), (.pressure, 1_013_250)])
        first.sequence = 5
        var second = TestRecords.reading("s2", timestampMs: TestRecords.startMs + 500, features: [(.power, 2)])
        second.sequence = 6
        let records = try UplinkPackRecord.decodePack(pack([first, second]).0)
        XCTAssertEqual(records.map(\.name), ["s1/temperature", "s1/pressure", "s2/power_consumption"])
        XCTAssertEqual(records.map(\.baseName), ["node-1/", nil, nil])
        XCTAssertEqual(records.map(\.unit), ["Cel", "Pa", "W"])
        XCTAssertEqual(records.map(\.sequence), [5, 5, 6])
        XCTAssertEqual(records.map(\.value), [21, 101_325, 0.002])
        // Whole values are integers, others float64; whole seconds are integers too.
        XCTAssertEqual(records[0].fields["v"], .int(21))
        XCTAssertEqual(records[2].fields["v"], .float(0.002))
        XCTAssertEqual(records[0].fields["t"], .int(TestRecords.startMs / 1000))
        XCTAssertEqual(records[2].fields["t"], .float(Double(TestRecords.startMs + 500) / 1000))
        // No extension label ends in "_": receivers may ignore every one of them.
        for record in records {
            for key in record.fields.keys { XCTAssertFalse(key.hasSuffix("_"), key) }
        }
    }

    func testAlertIsAStateRecordAndAValueRecordEachWithOneValueField() throws {
        var raised = TestRecords.alert("s1", raised: true, kind: .threshold, severity: .critical, feature: .temperature, value: 45_250, threshold: 40_000)
        raised.sequence = 9
        var cleared = TestRecords.alert("s1", raised: false, kind: .anomaly, severity: .warning, feature: nil, value: 32_768, threshold: 45_000, confidenceQ16: 49_152)
        cleared.sequence = 10
        var offline = TestRecords.alert("s2", kind: .offline, severity: .major, feature: nil, value: 301, threshold: 300)
        offline.sequence = 11
        let (bytes, outcomes) = pack([raised, cleared, offline])
        XCTAssertEqual(outcomes, [.appended, .appended, .appended])
        let records = try UplinkPackRecord.decodePack(bytes)
        XCTAssertEqual(records.map(\.name), [
            "s1/alert/threshold", "s1/alert/threshold/value", "s1/alert/anomaly", "s1/alert/anomaly/value",
            "s2/alert/offline", "s2/alert/offline/value",
        ])
        XCTAssertEqual(records.map(\.sequence), [9, 9, 10, 10, 11, 11])
        // RFC 8428 §4.3: exactly one value field per record.
        for record in records {
            let values = ["v", "vs", "vb", "vd"].filter { record.fields[$0] != nil }
            XCTAssertEqual(values.count, 1, "\(record.name ?? "?"): \(values)")
        }
        let states = records.filter { $0.stringValue != nil }
        let values = records.filter { $0.stringValue == nil }
        XCTAssertEqual(states.map(\.stringValue), ["raised:critical", "cleared:warning", "raised:major"])
        XCTAssertEqual(states.map(\.unit), [nil, nil, nil], "a string value has no unit")
        XCTAssertEqual(values.map(\.unit), ["Cel", "/", "s"])
        XCTAssertEqual(values.map(\.value), [45.25, 0.5, 301])
        XCTAssertEqual(values.map { $0.fields["thr"]?.number }, [40, 45_000.0 / 65_536, 300])
        XCTAssertEqual(states[0].fields["feat"], .text("temperature"))
        XCTAssertNil(states[1].fields["feat"])
        XCTAssertEqual(states[1].fields["conf"], .float(0.75))
        XCTAssertNil(states[0].fields["conf"])
        XCTAssertEqual(records.map(\.time), records.map { _ in Double(TestRecords.startMs) / 1000 })
        // The core decoder accepts the pack and counts the alert records as unknown quantities.
        let (result, _) = try coreDecode(bytes)
        XCTAssertEqual(result.readingCount, 0)
        XCTAssertEqual(result.unknownQuantityCount, 6)
    }

    func testNamesAreEscapedToTheRFC8428NameCharacters() throws {
        var record = TestRecords.reading("a#b:c%d(e)", features: [(.temperature, 1_000)])
        record.sequence = 1
        let (bytes, _) = pack([record], node: "gw!1")
        let records = try UplinkPackRecord.decodePack(bytes)
        XCTAssertEqual(records.first?.baseName, "gw:211/")
        XCTAssertEqual(records.first?.name, "a:23b:3Ac:25d:28e:29/temperature")
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-:./_")
        for record in records {
            let full = (records.first?.baseName ?? "") + (record.name ?? "")
            XCTAssertTrue(full.allSatisfy { allowed.contains($0) }, full)
        }
        // Names made only of allowed bytes are unchanged.
        let plain = try UplinkPackRecord.decodePack(pack([TestRecords.reading("sensor_01.a-b/c")]).0)
        XCTAssertEqual(plain.first?.name, "sensor_01.a-b/c/temperature")
    }

    func testLargestRecordWithEscapedNamesFitsTheDeclaredBound() throws {
        // Every byte of both names escaped: the worst case of maxLogRecordBytes.
        var summary = WindowSummary(span: .oneHour)
        summary.normalCount = .max
        for i in 0..<Feature.count {
            summary.features[i] = FeatureStats(count: .max, mean: .min + 1, standardDeviation: .max, minimum: .min + 3, maximum: .max - 1, saturated: true)
        }
        let name: StaticString = "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%"
        var record = LogRecord()
        record.type = .windowSummary
        record.sequence = .max
        record.timestampMs = TestRecords.startMs + 1
        TestRecords.payload(&record) { LogSummaryPayload(name: SensorName(name), summary: summary).encode(into: $0) }
        let (bytes, outcomes) = pack([record], node: "A%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%")
        XCTAssertEqual(outcomes, [.appended])
        XCTAssertGreaterThan(bytes.count, 4096, "the escaped names make it larger than before")
        XCTAssertLessThanOrEqual(bytes.count, SenMLEncoder.maxLogRecordBytes)
    }

    func testSummaryHasStatisticsPerFeatureAndStatusCounts() throws {
        var record = TestRecords.summary("s1", span: .fiveMinutes, features: 2)
        record.sequence = 3
        let (bytes, _) = pack([record])
        let records = try UplinkPackRecord.decodePack(bytes)
        let names = records.map { $0.name! }
        XCTAssertEqual(names, [
            "s1/temperature/mean", "s1/temperature/sd", "s1/temperature/min", "s1/temperature/max", "s1/temperature/count",
            "s1/humidity/mean", "s1/humidity/sd", "s1/humidity/min", "s1/humidity/max", "s1/humidity/count",
            "s1/status/normal", "s1/status/warning", "s1/status/alert", "s1/status/anomaly",
        ])
        XCTAssertEqual(records[0].value, 20)
        XCTAssertEqual(records[0].unit, "Cel")
        XCTAssertEqual(records[2].value, -5.125)
        XCTAssertEqual(records[3].value, 40.001)
        XCTAssertEqual(records[4].value, 60)
        XCTAssertNil(records[4].unit)
        XCTAssertEqual(records[5].value, 20.001)
        XCTAssertEqual(records[5].fields["sat"], .bool(true))
        XCTAssertNil(records[0].fields["sat"])
        XCTAssertEqual(records[10...].map(\.value), [50, 7, 3, 2])
        XCTAssertTrue(records.allSatisfy { $0.fields["win"] == .int(300) && $0.sequence == 3 })
        let (result, _) = try coreDecode(bytes)
        XCTAssertEqual(result.unknownQuantityCount, 14)
    }

    func testMarkerNamesItsCodeAndValue() throws {
        var record = TestRecords.marker(code: LogMarkerPayload.readingsDropped, value: 1_234)
        record.sequence = 8
        let records = try UplinkPackRecord.decodePack(pack([record]).0)
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(records[0].name, "log/readings_dropped")
        XCTAssertEqual(records[0].value, 1_234)
        XCTAssertEqual(records[0].fields["mark"], .int(2))
        XCTAssertEqual(records[0].sequence, 8)
    }

    func testLargestRecordFitsTheDeclaredBound() throws {
        // 32-byte node id and sensor name, every feature, extreme values (floats everywhere).
        var summary = WindowSummary(span: .oneHour)
        summary.normalCount = .max
        summary.warningCount = .max
        summary.alertCount = .max
        summary.anomalyCount = .max
        for i in 0..<Feature.count {
            summary.features[i] = FeatureStats(count: .max, mean: .min + 1, standardDeviation: .max, minimum: .min + 3, maximum: .max - 1, saturated: true)
        }
        let name: StaticString = "abcdefghijklmnopqrstuvwxyz012345"
        var record = LogRecord()
        record.type = .windowSummary
        record.sequence = .max
        record.timestampMs = TestRecords.startMs + 1
        TestRecords.payload(&record) { LogSummaryPayload(name: SensorName(name), summary: summary).encode(into: $0) }
        let (bytes, outcomes) = pack([record], node: name)
        XCTAssertEqual(outcomes, [.appended])
        XCTAssertLessThanOrEqual(bytes.count, SenMLEncoder.maxLogRecordBytes)
        XCTAssertEqual(try UplinkPackRecord.decodePack(bytes).count, 29)
    }

    func testRecordThatDoesNotFitLeavesThePackUnchangedAndValid() throws {
        let capacity = SenMLEncoder.maxLogRecordBytes + 2
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var encoder = SenMLEncoder(buffer: buffer, nodeId: SensorName("node-1"))
        var appended = 0
        var lastCount = 0
        var outcome = SenMLEncodeOutcome.appended
        for i in 0..<1_000 {
            var record = TestRecords.summary(features: 5)
            record.sequence = UInt64(i + 1)
            lastCount = encoder.countBytes
            outcome = encoder.append(record)
            if outcome != .appended { break }
            appended += 1
        }
        XCTAssertEqual(outcome, .noRoom)
        XCTAssertEqual(encoder.countBytes, lastCount, "a refused record leaves nothing behind")
        XCTAssertEqual(encoder.recordCount, appended)
        XCTAssertGreaterThan(appended, 0)
        let records = try UplinkPackRecord.decodePack(Array(encoder.finish()))
        XCTAssertEqual(Set(records.compactMap(\.sequence)), Set((1...appended).map(UInt64.init)))
    }

    func testMalformedPayloadIsSkippedAndLeavesNothing() throws {
        var bad = LogRecord()
        bad.type = .reading
        bad.payloadCount = 3
        var good = TestRecords.reading()
        good.sequence = 2
        let (bytes, outcomes) = pack([bad, good])
        XCTAssertEqual(outcomes, [.skipped, .appended])
        let records = try UplinkPackRecord.decodePack(bytes)
        XCTAssertEqual(records.map(\.sequence), [2])
        XCTAssertEqual(records.first?.baseName, "node-1/", "the base name goes on the first record actually written")
    }

    func testEmptyPackIsAnEmptyArray() throws {
        let (bytes, _) = pack([])
        XCTAssertEqual(bytes, [0x9F, 0xFF])
        XCTAssertEqual(try coreDecode(bytes).0.readingCount, 0)
    }

    func testPythonCBORDecoderReadsThePack() throws {
        // An independent decoder, when the machine has one (cbor2 from PyPI); skipped otherwise.
        var record = TestRecords.reading("s1", features: [(.temperature, 21_125)])
        record.sequence = 41
        let (bytes, _) = pack([record, { var a = TestRecords.alert(); a.sequence = 42; return a }()])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-pack-\(getpid()).cbor")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // Prefer the interop venv of scripts/ensure-tools.sh (build/venv), else the system python.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let venvPython = root.appendingPathComponent("build/venv/bin/python3").path
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "python3"
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = [python, "-c", "import cbor2"]
        probe.standardError = Pipe()
        try probe.run()
        probe.waitUntilExit()
        if probe.terminationStatus != 0 { throw XCTSkip("python3 with cbor2 is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = "import cbor2,sys,json; d=cbor2.load(open(sys.argv[1],'rb')); print(json.dumps([[r.get(0), r.get(3), r.get('seq')] for r in d]))"
        process.arguments = [python, "-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "cbor2 could not decode the pack")
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text.trimmingCharacters(in: .whitespacesAndNewlines), #"[["s1/temperature", null, 41], ["sensor-001/alert/threshold", "raised:major", 42], ["sensor-001/alert/threshold/value", null, 42]]"#)
    }
    func testEveryRecordTypePassesTheStrictRFC8428Checker() throws {
        // Every log record type and variant in one pack, checked by the interop tests' strict
        // receiver (Tests/Interop/senml_strict.py, written from RFC 8428, not from this encoder).
        var records: [LogRecord] = []
        records.append(TestRecords.reading("s1", features: [(.temperature, -12_345), (.humidity, 55_000), (.pressure, 1_013_251), (.vibration, 7), (.power, 1_500_000)], batteryMilliPercent: 87_500))
        records.append(TestRecords.reading("we(ird)#name%", timestampMs: TestRecords.startMs + 1))
        for kind in [AlertKind.threshold, .anomaly, .critical, .anomalyRate, .offline, .lowBattery] {
            for raised in [true, false] {
                let feature: Feature? = kind == .threshold ? .pressure : nil
                records.append(TestRecords.alert("s2", raised: raised, kind: kind, severity: raised ? .critical : .warning, feature: feature,
                                                 value: -7_001, threshold: 65_536, confidenceQ16: kind == .anomaly ? 65_535 : 0))
            }
        }
        for span in [WindowSpan.oneMinute, .fiveMinutes, .fifteenMinutes, .oneHour] { records.append(TestRecords.summary("s3", span: span, features: 5)) }
        records.append(TestRecords.summary("s4", features: 0))
        for code in [LogMarkerPayload.started, LogMarkerPayload.readingsDropped, LogMarkerPayload.alertsDropped, LogMarkerPayload.rejectedByUpstream, 99] {
            records.append(TestRecords.marker(code: code, value: UInt64.max))
        }
        // Values of quantities not detected on: a unit the strict receiver knows, a fraction, none.
        for (name, unit, micro) in [(SensorName("co2"), SensorName("ppm"), Int64(415_000_000)), (SensorName("voltage"), SensorName("V"), 3_300_000)] {
            records.append(TestRecords.quantity("s5", name: name, unit: unit, valueMicro: micro))
        }
        records.append(TestRecords.quantity("s5", name: SensorName("count"), unit: nil, valueMicro: -7))
        records.append(SenMLEncoderImageTests.chunk([0xFF, 0xD8, 0x00]))
        records.append(SenMLEncoderImageTests.chunk([0xD9], flags: LogImageChunkPayload.flagLast))
        records.append(SenMLEncoderImageTests.chunk([], flags: LogImageChunkPayload.flagAborted))
        for i in records.indices { records[i].sequence = UInt64(i + 1) }
        let (bytes, outcomes) = pack(records, node: "n0de:#1", capacity: 65_536)
        XCTAssertTrue(outcomes.allSatisfy { $0 == .appended })
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let venvPython = root.appendingPathComponent("build/venv/bin/python3").path
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "python3"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-strict-\(getpid()).cbor")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = """
            import sys; sys.path.insert(0, sys.argv[2])
            try:
                import cbor2
            except ImportError:
                print("SKIP"); sys.exit(0)
            from senml_strict import check_pack, Invalid
            try:
                records = check_pack(open(sys.argv[1], "rb").read())
            except Invalid as e:
                print("INVALID " + str(e)); sys.exit(0)
            print("OK %d %d" % (len(records), len({r["seq"] for r in records})))
            """
        process.arguments = [python, "-c", script, file.path, root.appendingPathComponent("Tests/Interop").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text == "SKIP" { throw XCTSkip("python3 with cbor2 is not installed") }
        let senmlCount = try UplinkPackRecord.decodePack(bytes).count
        XCTAssertEqual(text, "OK \(senmlCount) \(records.count)", "the strict checker refused the pack")
    }
}
