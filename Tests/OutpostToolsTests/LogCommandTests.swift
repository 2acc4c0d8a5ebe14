import Foundation
import Glibc
import OutpostCore
import OutpostTools
import XCTest

/// `outpost-tool log` on real files written through the CHAL storage code, and a disk that fills
/// up under the store (a file-size limit).
final class LogCommandTests: XCTestCase {
    let geometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 4)!

    /// A store on a real file at `path` with a heap arena; `body` gets it, the arena is freed after.
    func withStore(_ path: String, policy: LogFullPolicy = .rejectNew, _ body: (inout LogStore<LogCommandFile>) throws -> Void) throws {
        let file = try LogCommandFile.create(path, sizeBytes: geometry.fileSizeBytes)
        defer { file.close() }
        let bytes = LogStore<LogCommandFile>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512)
        let base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        defer { base.deallocate() }
        var arena = Arena(base: base, sizeBytes: bytes)
        var store = try LogStore(device: file, arena: &arena, geometry: geometry, pageBytes: 512, policy: policy, formatIfBlank: true)
        try body(&store)
    }

    func reading(_ i: Int) -> ProcessedReading {
        var features = FeatureVector()
        features[.temperature] = Int32(21_500 + i)
        features[.pressure] = 1_013_250
        return ProcessedReading(sensorSlot: 0, status: i % 10 == 0 ? .warning : .normal, anomaly: i % 10 == 0, scoreQ16: 32768,
                                timestampMs: 1_700_000_000_000 + Int64(i), features: features, batteryMilliPercent: 87_500)
    }

    /// A log with `count` readings, an alert every 25th record, a summary, a marker and a cursor.
    func writeLog(_ path: String, count: Int = 120) throws {
        try withStore(path) { store in
            for i in 1...count {
                if i % 25 == 0 {
                    try store.append(alert: AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                                                       value: 45_250, threshold: 45_000, confidenceQ16: 0, timestampMs: Int64(i)),
                                                       // Two sensors: a drop carries only the newest alert of each sensor and kind.
                                                       name: i == 1 ? SensorName("boiler-1") : SensorName("boiler-2"))
                } else {
                    try store.append(reading: reading(i), name: SensorName("boiler-1"))
                }
            }
            var summary = WindowSummary(span: .fiveMinutes)
            summary.normalCount = 9
            summary.features[Feature.temperature.index] = FeatureStats(count: 9, mean: 21_504, standardDeviation: 3, minimum: 21_500, maximum: 21_509)
            try store.append(summary: summary, name: SensorName("boiler-1"), timestampMs: 1_700_000_300_000)
            try store.append(marker: LogMarkerPayload(code: LogMarkerPayload.started, value: 1), timestampMs: 5)
            store.setCursor(10)
            try store.commit()
        }
    }

    func testVerifyStatsAndDumpOfACleanLog() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try writeLog(path)
        let verify = runTool(["log", "verify", path])
        XCTAssertEqual(verify.code, 0, verify.stderr + verify.stdout)
        XCTAssertTrue(verify.stdout.contains("records: 122, sequences 1...122"), verify.stdout)
        XCTAssertTrue(verify.stdout.hasSuffix("clean\n"))

        let stats = runTool(["log", "stats", path])
        XCTAssertEqual(stats.code, 0, stats.stderr)
        XCTAssertTrue(stats.stdout.contains("records_reading: 116\n"), stats.stdout)
        XCTAssertTrue(stats.stdout.contains("records_alert: 4\n"))
        XCTAssertTrue(stats.stdout.contains("records_window_summary: 1\n"))
        XCTAssertTrue(stats.stdout.contains("cursor: 10\n"))
        XCTAssertTrue(stats.stdout.contains("last_sequence: 122\n"))

        let dump = runTool(["log", "dump", path, "--from", "24"])
        XCTAssertEqual(dump.code, 0, dump.stderr)
        let lines = dump.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 122 - 23)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            objects.append(try XCTUnwrap(object, String(line)))
        }
        XCTAssertEqual(objects.map { $0["seq"] as? Int }, (24...122).map { $0 })
        XCTAssertEqual(objects[0]["type"] as? String, "reading")
        XCTAssertEqual(objects[0]["sensor"] as? String, "boiler-1")
        XCTAssertEqual((objects[0]["temperature"] as? NSNumber)?.doubleValue, 21.524)
        XCTAssertEqual((objects[0]["pressure"] as? NSNumber)?.doubleValue, 101_325.0)
        XCTAssertEqual((objects[0]["battery"] as? NSNumber)?.doubleValue, 87.5)
        XCTAssertEqual(objects[1]["type"] as? String, "alert")
        XCTAssertEqual(objects[1]["kind"] as? String, "threshold")
        XCTAssertEqual((objects[1]["value"] as? NSNumber)?.doubleValue, 45.25)
        XCTAssertEqual(objects[97]["type"] as? String, "window_summary")
        XCTAssertEqual((objects[97]["temperature"] as? [String: Any])?["count"] as? Int, 9)
        XCTAssertEqual(objects[98]["code"] as? String, "started")
    }

    func testDumpShowsTheOriginalSequenceOfACopiedAlert() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        var originals: [Int: UInt64] = [:]
        try withStore(path, policy: .dropOldest) { store in
            // Two alerts, then readings until drop-oldest has copied them (the cursor stays at 0).
            for i in 1...400 {
                if i <= 2 {
                    originals[i] = try store.append(alert: AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                                                                      value: 45_250, threshold: 45_000, confidenceQ16: 0, timestampMs: Int64(i)),
                                                       // Two sensors: a drop carries only the newest alert of each sensor and kind.
                                                       name: i == 1 ? SensorName("boiler-1") : SensorName("boiler-2"))
                } else {
                    try store.append(reading: reading(i), name: SensorName("boiler-1"))
                }
            }
            try store.commit()
            XCTAssertGreaterThan(store.counters.copiedAlerts, 0)
        }
        let dump = runTool(["log", "dump", path])
        XCTAssertEqual(dump.code, 0, dump.stderr)
        let objects = try dump.stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let alerts = objects.filter { $0["type"] as? String == "alert" }
        XCTAssertEqual(alerts.count, 2)
        for alert in alerts {
            XCTAssertEqual(alert["copied"] as? Bool, true)
            let time = try XCTUnwrap(alert["ts_ms"] as? Int)
            XCTAssertEqual((alert["original_sequence"] as? NSNumber)?.uint64Value, originals[time])
            XCTAssertNotEqual(alert["original_sequence"] as? Int, alert["seq"] as? Int)
        }
        // Records that are not copies carry no original_sequence.
        XCTAssertTrue(objects.filter { $0["copied"] == nil }.allSatisfy { $0["original_sequence"] == nil })
        let stats = runTool(["log", "stats", path])
        XCTAssertTrue(stats.stdout.contains("format_version: \(LogFormat.version)\n"), stats.stdout)
    }

    /// File offsets of the records of segment `segment` of a clean image (walking the lengths).
    func recordStarts(_ bytes: [UInt8], segment: Int) -> [Int] {
        let start = Int(geometry.offset(ofSegment: segment))
        var offset = start + LogFormat.segmentHeaderBytes
        var starts: [Int] = []
        while offset + LogFormat.minRecordBytes <= start + geometry.segmentSizeBytes {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            if length < LogFormat.minRecordBytes { break }
            starts.append(offset)
            offset += length
        }
        return starts
    }

    func testVerifyReportsACorruptRecordWithItsOffset() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try writeLog(path, count: 200)
        let clean = runTool(["log", "verify", path])
        XCTAssertEqual(clean.code, 0, clean.stdout + clean.stderr)
        XCTAssertTrue(clean.stdout.hasSuffix("clean\n"))
        var bytes = dir.read("outpost.log")
        // Segment 0 is older than the head: damage a record in its middle.
        let starts = recordStarts(bytes, segment: 0)
        let victim = starts[45]
        bytes[victim + 7] ^= 0x10
        dir.write("outpost.log", bytes: bytes)
        let verify = runTool(["log", "verify", path])
        XCTAssertEqual(verify.code, 1)
        XCTAssertTrue(verify.stdout.contains("damage: 1 damaged stretch(es) in 1 segment(s), 1 record(s) lost"), verify.stdout)
        XCTAssertTrue(verify.stdout.contains("damage: segment 0 offset \(victim) (\(starts[46] - victim) bytes): 1 record(s) lost (sequences 46...46)"), verify.stdout)
        XCTAssertTrue(verify.stdout.contains("records: 201,"), verify.stdout)
        XCTAssertTrue(verify.stderr.contains("\(path): damaged"), verify.stderr)
        // The other commands still work and show everything else.
        XCTAssertEqual(runTool(["log", "stats", path]).code, 0)
        let dump = runTool(["log", "dump", path])
        XCTAssertEqual(dump.code, 0)
        XCTAssertEqual(dump.stdout.split(separator: "\n").count, 201)
        XCTAssertFalse(dump.stdout.contains("\"seq\":46,"))
    }

    /// Damage in the head followed by valid records is damage, not a torn tail: verify exits 1.
    func testVerifyReportsDamageInTheHead() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try writeLog(path, count: 200)
        var bytes = dir.read("outpost.log")
        // The head is the last segment written to (200 records of ~50 bytes fill about three).
        var head = 0
        for segment in 0..<geometry.segmentCount where recordStarts(bytes, segment: segment).count > 3 { head = segment }
        let starts = recordStarts(bytes, segment: head)
        for i in 0..<8 { bytes[starts[2] + i] = 0xEE }
        dir.write("outpost.log", bytes: bytes)
        let verify = runTool(["log", "verify", path])
        XCTAssertEqual(verify.code, 1, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("damage: segment \(head) offset \(starts[2])"), verify.stdout)
        XCTAssertTrue(verify.stdout.contains("1 record(s) lost"), verify.stdout)
        XCTAssertFalse(verify.stdout.contains("note:"), "not a torn tail: \(verify.stdout)")
    }

    /// The log id: stats and dump show it; a damaged header copy is damage for verify.
    func testStatsAndDumpShowTheLogIDAndVerifyReportsADamagedHeaderCopy() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try writeLog(path)
        var bytes = dir.read("outpost.log")
        var id: UInt64 = 0
        for i in 0..<8 { id |= UInt64(bytes[32 + i]) << (8 * UInt64(i)) }
        let stats = runTool(["log", "stats", path])
        // writeLog formats without an id: the derived one, flagged as such.
        XCTAssertEqual(id, 0)
        let derived = bytes[0..<64].withUnsafeBytes { LogFileHeader.derivedLogID($0) }
        let hex = String(derived, radix: 16)
        XCTAssertTrue(stats.stdout.contains("log_id: \(String(repeating: "0", count: 16 - hex.count) + hex) (derived)\n"), stats.stdout)
        let dump = runTool(["log", "dump", path])
        XCTAssertTrue(dump.stdout.hasPrefix("{\"log_id\":\(derived),\"seq\":1,"), dump.stdout)
        bytes[LogFormat.fileHeaderCopyOffset + 17] ^= 0x01
        dir.write("outpost.log", bytes: bytes)
        let verify = runTool(["log", "verify", path])
        XCTAssertEqual(verify.code, 1)
        XCTAssertTrue(verify.stdout.contains("damage: file header copy at offset 2048 fails its check"), verify.stdout)
        XCTAssertEqual(runTool(["log", "stats", path]).code, 0)
    }

    func testVerifyReportsATruncatedFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try writeLog(path)
        let bytes = dir.read("outpost.log")
        dir.write("outpost.log", bytes: Array(bytes.prefix(4096 + 4096 + 1000)))
        let verify = runTool(["log", "verify", path])
        XCTAssertEqual(verify.code, 1)
        XCTAssertTrue(verify.stdout.contains("file truncated to 9192 of 20480 bytes"), verify.stdout)
    }

    func testRefusesFilesThatAreNotOutpostLogs() throws {
        let dir = TemporaryDirectory()
        let text = dir.write("notes.txt", String(repeating: "hello\n", count: 100))
        for action in ["verify", "stats", "dump"] {
            let run = runTool(["log", action, text])
            XCTAssertEqual(run.code, 2, action)
            XCTAssertTrue(run.stderr.contains("\(text): not an Outpost log"), run.stderr)
        }
        let path = dir.file("outpost.log")
        try writeLog(path)
        var bytes = dir.read("outpost.log")
        bytes[4] = 9
        bytes[LogFormat.fileHeaderCopyOffset + 4] = 9
        let future = dir.write("future.log", bytes: bytes)
        let run = runTool(["log", "verify", future])
        XCTAssertEqual(run.code, 2)
        XCTAssertTrue(run.stderr.contains("\(future): unknown log format version 9"), run.stderr)
        let blank = dir.write("blank.log", bytes: [UInt8](repeating: 0, count: 20480))
        XCTAssertEqual(runTool(["log", "stats", blank]).code, 2)
        let missing = runTool(["log", "verify", dir.file("missing.log")])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.stderr.contains("cannot open"), missing.stderr)
        XCTAssertEqual(runTool(["log", "frobnicate", path]).code, 2)
        XCTAssertEqual(runTool(["log", "dump", path, "--from", "x"]).code, 2)
    }

    /// Runs `body` with the process's file-size limit at `limitBytes` (SIGXFSZ ignored, so writes
    /// past it fail with EFBIG), restoring the limit afterwards.
    func withFileSizeLimit(_ limitBytes: Int, _ body: () throws -> Void) rethrows {
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = rlim_t(limitBytes)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        defer {
            _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            signal(SIGXFSZ, previousHandler)
        }
        try body()
    }

    func testCreatingALogOnAFullDiskReportsNoSpace() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try withFileSizeLimit(8192) {
            XCTAssertThrowsError(try LogCommandFile.create(path, sizeBytes: geometry.fileSizeBytes)) {
                XCTAssertEqual($0 as? LogIOError, .noSpace)
            }
        }
        // Space is back: the same call works.
        let file = try LogCommandFile.create(path, sizeBytes: geometry.fileSizeBytes)
        XCTAssertEqual(file.sizeBytes, geometry.fileSizeBytes)
        file.close()
    }

    func testADiskThatFillsUpUnderTheStoreRecoversWhenSpaceReturns() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("outpost.log")
        try withStore(path) { store in
            var i = 0
            var refused: LogAppendError? = nil
            // Writes at offsets past 12 KiB now fail with EFBIG: segments 2 and 3 are "full disk".
            try withFileSizeLimit(4096 + 2 * 4096) {
                for _ in 0..<1000 {
                    i += 1
                    do {
                        try store.append(reading: reading(i), name: SensorName("pump"))
                        if i % 4 == 0 { try store.commit() }
                    } catch {
                        refused = error as? LogAppendError
                        break
                    }
                }
                XCTAssertEqual(refused, .noSpace)
                XCTAssertEqual(store.state, .noSpace)
                XCTAssertThrowsError(try store.append(reading: reading(i), name: SensorName("pump")))
            }
            // Limit lifted: the next append succeeds, nothing committed was lost.
            try store.append(reading: reading(i), name: SensorName("pump"))
            XCTAssertEqual(store.state, .ready)
            try store.commit()
        }
        let verify = runTool(["log", "verify", path])
        XCTAssertEqual(verify.code, 0, verify.stdout)
        let dump = runTool(["log", "dump", path])
        let sequences = dump.stdout.split(separator: "\n").compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["seq"] as? Int
        }
        XCTAssertEqual(sequences, Array(1...sequences.count))
        XCTAssertGreaterThan(sequences.count, 100)
    }
}
