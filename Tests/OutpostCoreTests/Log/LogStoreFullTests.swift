import OutpostCore
import XCTest

/// Drop-oldest copies (LogStore+Full): a copied alert keeps the sequence it was first written
/// under (format version 2), version-1 segments written by older code still read, and a version-1
/// file keeps working when this code appends to it.
final class LogStoreFullTests: XCTestCase {
    let sensor = SensorName("boiler-1")

    func reading(_ i: Int) -> ProcessedReading {
        var features = FeatureVector()
        features[.temperature] = Int32(i)
        return ProcessedReading(sensorSlot: 3, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: Int64(i), features: features, batteryMilliPercent: nil)
    }

    /// The sensor of alert `i`: one per alert, so that no alert supersedes another (a drop copies
    /// only the newest alert of each sensor and kind, docs/LOG_FORMAT.md §7) and every one of
    /// them is carried forward.
    func alertSensor(_ i: Int) -> SensorName {
        let text = Array("boiler-\(i)".utf8)
        return SensorName(text.span)!
    }

    /// An alert told apart by its timestamp and value `i`.
    func alert(_ i: Int) -> AlertEvent {
        AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature, value: Int32(i), threshold: 5, confidenceQ16: 0, timestampMs: Int64(i))
    }

    /// Appends readings (and an alert every `alertEvery` steps) with the cursor left where it is,
    /// so drops copy the alerts; returns the sequence of each alert by its timestamp.
    func fill(_ store: inout LogStore<PowerCutDevice>, steps: ClosedRange<Int>, alertEvery: Int) throws -> [Int64: UInt64] {
        var originals: [Int64: UInt64] = [:]
        for i in steps {
            if i % alertEvery == 0 {
                originals[Int64(i)] = try store.append(alert: alert(i), name: alertSensor(i))
            } else {
                try store.append(reading: reading(i), name: sensor)
            }
            if i % 10 == 0 { try store.commit() }
        }
        try store.commit()
        return originals
    }

    func testADroppedAlertIsCopiedUnderItsOriginalSequence() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        XCTAssertEqual(store.fileVersion, LogFormat.version)
        let originals = try fill(&store, steps: 1...400, alertEvery: 9)
        XCTAssertGreaterThan(store.counters.copiedAlerts, 0)
        XCTAssertEqual(store.counters.droppedAlerts, 0)
        let records = try readAll(&store)
        let copies = records.filter(\.isCopied)
        XCTAssertFalse(copies.isEmpty)
        for copy in copies {
            let payload = try XCTUnwrap(copy.alert, "copy \(copy.sequence) decodes (trailer stripped)")
            let time = payload.alert.timestampMs
            XCTAssertEqual(copy.originalSequence, originals[time], "copy of the alert at \(time)")
            XCTAssertLessThan(copy.originalSequence, copy.sequence)
            XCTAssertEqual(payload.alert.value, Int32(time))
            XCTAssertEqual(copy.payloadCount, LogAlertPayload(name: alertSensor(Int(time)), alert: alert(Int(time))).sizeBytes)
        }
        // Records that are not copies are their own originals.
        for record in records where !record.isCopied {
            XCTAssertEqual(record.originalSequence, record.sequence)
        }
        // Recovery reads the trailers back the same way.
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, policy: .dropOldest, buffer: buffer2)
        let again = try readAll(&reopened)
        XCTAssertEqual(again.map(\.sequence), records.map(\.sequence))
        XCTAssertEqual(again.map(\.originalSequence), records.map(\.originalSequence))
        XCTAssertEqual(reopened.recovery.corruptSegments, 0)
    }

    func testACopyOfACopyKeepsTheFirstOriginal() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        // Three alerts, then enough readings to wrap the 4-segment log several times: each wrap
        // drops the segment holding the last copies and copies them again.
        let originals = try fill(&store, steps: 1...3, alertEvery: 1)
        _ = try fill(&store, steps: 4...1_500, alertEvery: Int.max)
        XCTAssertGreaterThan(store.counters.copiedAlerts, 3 * 2, "every alert was copied more than once")
        XCTAssertEqual(store.counters.droppedAlerts, 0)
        let alerts = try readAll(&store).filter { $0.type.isAlert }
        XCTAssertEqual(alerts.count, 3, "each alert once")
        for record in alerts {
            XCTAssertTrue(record.isCopied)
            let time = try XCTUnwrap(record.alert).alert.timestampMs
            XCTAssertEqual(record.originalSequence, originals[time])
            XCTAssertGreaterThan(record.sequence, 3 * 100, "a copy made after several wraps")
        }
    }

    func testALogOfUnforwardedAlertsDropsItsOldestAlertsInsteadOfFillingTheHeadWithCopies() throws {
        // The uplink is down (the cursor never moves) and one record in 13 is an alert: after a
        // few wraps every segment is mostly copies. A drop stops copying before the new head is
        // full (`dropReserveBytes`), so new records always find room; the oldest alerts beyond
        // that are dropped and counted. (Copying until the head was full trapped here.)
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        var alerts = 0
        for i in 1...3_000 {
            if i % 13 == 0 {
                try store.append(alert: alert(i), name: alertSensor(i))
                alerts += 1
            } else {
                try store.append(reading: reading(i), name: sensor)
            }
            if i % 10 == 0 { try store.commit() }
        }
        try store.commit()
        XCTAssertGreaterThan(store.counters.droppedAlerts, 0, "the oldest alerts had to go")
        XCTAssertGreaterThan(store.counters.copiedAlerts, 0)
        let records = try readAll(&store)
        let kept = records.filter { $0.type.isAlert }
        XCTAssertGreaterThan(kept.count, 0)
        XCTAssertLessThan(kept.count, alerts)
        // The newest alerts are the ones kept, each once.
        let times = kept.compactMap { $0.alert?.alert.timestampMs }
        XCTAssertEqual(Set(times).count, times.count, "no alert twice")
        XCTAssertEqual(times.max(), Int64(3_000 / 13 * 13))
        XCTAssertTrue(records.contains { $0.type == .marker }, "the loss is marked in the log")
        // And it recovers to the same records.
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, policy: .dropOldest, buffer: buffer2)
        XCTAssertEqual(try readAll(&reopened).map(\.sequence), records.map(\.sequence))
        XCTAssertEqual(reopened.recovery.corruptSegments, 0)
    }

    func testAVersion1LogWithACopyStillReadsAndTakesAppends() throws {
        var image = LegacyLogImage(version: 1)
        image.append(.alert, payload: alertPayload(1))
        image.append(.reading, payload: readingPayload(2))
        // A copy written by version-1 code: no trailer, its original is unknown.
        image.append(.alert, flags: LogFormat.flagCopied, payload: alertPayload(3))
        image.append(.reading, payload: readingPayload(4))
        let disk = SimDisk(bytes: image.bytes)
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        XCTAssertEqual(store.fileVersion, 1)
        XCTAssertEqual(store.recovery.damagedHeaders, 0)
        var records = try readAll(&store)
        XCTAssertEqual(records.map(\.sequence), [1, 2, 3, 4])
        XCTAssertEqual(records.map(\.originalSequence), [1, 2, 3, 4])
        XCTAssertTrue(records[2].isCopied)
        XCTAssertEqual(records[2].alert?.alert.value, 3, "a version-1 copy's payload is the whole payload")
        // This code appends to the version-1 head; the file header is left as it was.
        try store.append(reading: reading(5), name: sensor)
        try store.commit()
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, buffer: buffer2)
        records = try readAll(&reopened)
        XCTAssertEqual(records.map(\.sequence), [1, 2, 3, 4, 5])
        XCTAssertEqual(records[4].reading?.reading.features[.temperature], 5)
        XCTAssertEqual(disk.bytes[4], 1, "file header version unchanged")
        XCTAssertEqual(disk.bytes[Int(smallGeometry.offset(ofSegment: 0)) + 4], 1, "the head stays a version-1 segment")
    }

    func testAVersion1SegmentDroppedIntoVersion2SegmentsKeepsWhatItKnows() throws {
        var image = LegacyLogImage(version: 1)
        image.append(.alert, payload: alertPayload(1))
        image.append(.alert, flags: LogFormat.flagCopied, payload: alertPayload(2))
        let disk = SimDisk(bytes: image.bytes)
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        _ = try fill(&store, steps: 3...600, alertEvery: Int.max)
        XCTAssertGreaterThanOrEqual(store.counters.copiedAlerts, 2)
        let alerts = try readAll(&store).filter { $0.type.isAlert }
        XCTAssertEqual(alerts.count, 2)
        // The original's copy names sequence 1; the version-1 copy's original is unknown, so its
        // copy names the version-1 copy (sequence 2), the best this log knows.
        XCTAssertEqual(alerts.map { $0.alert?.alert.timestampMs }, [1, 2])
        XCTAssertEqual(alerts.map(\.originalSequence), [1, 2])
        XCTAssertTrue(alerts.allSatisfy { $0.sequence > 2 && $0.isCopied })
        // Every live segment is now version 2; the file header still says 1 and still opens.
        for index in 0..<smallGeometry.segmentCount {
            let offset = Int(smallGeometry.offset(ofSegment: index))
            let header = disk.bytes[offset..<(offset + LogFormat.segmentHeaderBytes)].withUnsafeBytes {
                LogSegmentHeader.decode($0, index: UInt32(index), segmentSizeBytes: UInt32(smallGeometry.segmentSizeBytes))
            }
            if let header, header.isLive { XCTAssertEqual(header.version, 2, "segment \(index)") }
        }
        XCTAssertEqual(disk.bytes[4], 1)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, policy: .dropOldest, buffer: buffer2)
        XCTAssertEqual(try readAll(&reopened).filter { $0.type.isAlert }.map(\.originalSequence), [1, 2])
    }

    func testAVersion2CopyWithABadTrailerEndsTheValidRecords() throws {
        // Good: a version-2 copy naming an earlier record.
        var good = LegacyLogImage(version: 2)
        good.append(.alert, payload: alertPayload(1))
        good.append(.alert, flags: LogFormat.flagCopied, payload: alertPayload(2) + le64(1))
        let goodBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var goodStore = try openStore(SimDisk(bytes: good.bytes), buffer: goodBuffer, readOnly: true)
        let read = try readAll(&goodStore)
        XCTAssertEqual(read.map(\.originalSequence), [1, 1])
        XCTAssertEqual(read[1].alert?.alert.value, 2)

        // Bad: the trailer names the copy itself, a later record, zero, or is missing (a payload
        // whose CRC is right but too short). Each such record is not valid: it is a damaged
        // stretch, and the reading after it is kept (recovery resynchronises on it).
        let badTrailers: [[UInt8]] = [alertPayload(2) + le64(2), alertPayload(2) + le64(9), alertPayload(2) + le64(0), [1, 2, 3]]
        for (n, payload) in badTrailers.enumerated() {
            var image = LegacyLogImage(version: 2)
            image.append(.alert, payload: alertPayload(1))
            image.append(.alert, flags: LogFormat.flagCopied, payload: payload)
            image.append(.reading, payload: readingPayload(3))
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var store = try openStore(SimDisk(bytes: image.bytes), buffer: buffer, readOnly: true)
            XCTAssertEqual(try readAll(&store).map(\.sequence), [1, 3], "bad trailer \(n)")
            XCTAssertEqual(store.recovery.skippedRecords, 1, "bad trailer \(n)")
            XCTAssertEqual(store.recovery.damage[0].firstLostSequence, 2, "bad trailer \(n)")
            XCTAssertEqual(store.recovery.tailBytes, 0, "bad trailer \(n)")
        }

        // A segment header of an unknown (newer) version is not read as a segment.
        var future = LegacyLogImage(version: 3)
        future.append(.alert, payload: alertPayload(1))
        let futureBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var futureStore = try openStore(SimDisk(bytes: future.bytes), buffer: futureBuffer, readOnly: true)
        XCTAssertEqual(futureStore.recovery.damagedHeaders, 1)
        XCTAssertEqual(try readAll(&futureStore).count, 0)
    }

    func testFileHeaderVersionsOutsideTheKnownRangeAreRefused() throws {
        for version: UInt16 in [0, LogFormat.version + 1] {
            var bytes = [UInt8](repeating: 0, count: LogFormat.fileHeaderBytes)
            bytes.withUnsafeMutableBytes { LogFileHeader(geometry: smallGeometry, fileSizeBytes: smallGeometry.fileSizeBytes).encode(into: $0) }
            bytes[4] = UInt8(version)
            bytes[5] = 0
            LegacyLogImage.resealFileHeader(&bytes)
            XCTAssertEqual(bytes.withUnsafeBytes { LogFileHeader.probe($0) }, .unsupportedVersion(version))
        }
        for version: UInt16 in LogFormat.oldestVersion...LogFormat.version {
            let header = LogFileHeader(geometry: smallGeometry, fileSizeBytes: smallGeometry.fileSizeBytes, version: version)
            var bytes = [UInt8](repeating: 0, count: LogFormat.fileHeaderBytes)
            bytes.withUnsafeMutableBytes { header.encode(into: $0) }
            XCTAssertEqual(bytes.withUnsafeBytes { LogFileHeader.probe($0) }, .valid(header))
        }
    }

    // MARK: - Payload helpers

    func alertPayload(_ i: Int) -> [UInt8] {
        let payload = LogAlertPayload(name: alertSensor(i), alert: alert(i))
        var bytes = [UInt8](repeating: 0, count: payload.sizeBytes)
        _ = bytes.withUnsafeMutableBytes { payload.encode(into: $0) }
        return bytes
    }

    func readingPayload(_ i: Int) -> [UInt8] {
        let payload = LogReadingPayload(name: sensor, reading: reading(i))
        var bytes = [UInt8](repeating: 0, count: payload.sizeBytes)
        _ = bytes.withUnsafeMutableBytes { payload.encode(into: $0) }
        return bytes
    }
}

func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// A log file built byte by byte as docs/LOG_FORMAT.md describes it (not through `LogStore`), in
/// the small geometry: a file header and segment 0 of `version` holding the records appended
/// (sequences from 1, timestamps equal to the sequence). Stands in for files written by older code.
struct LegacyLogImage {
    var bytes: [UInt8]
    let segmentSequence: UInt64 = 1
    var offset: Int
    var nextSequence: UInt64 = 1

    init(version: UInt16) {
        bytes = [UInt8](repeating: 0, count: Int(smallGeometry.fileSizeBytes))
        let fileVersion = min(version, LogFormat.version)
        bytes.withUnsafeMutableBytes {
            LogFileHeader(geometry: smallGeometry, fileSizeBytes: smallGeometry.fileSizeBytes, version: fileVersion)
                .encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<LogFormat.fileHeaderBytes]))
        }
        let segmentOffset = Int(smallGeometry.offset(ofSegment: 0))
        let header = LogSegmentHeader(
            state: LogSegmentHeader.stateLive, segmentSequence: segmentSequence, firstRecordSequence: 1, eraseCount: 0,
            segmentIndex: 0, segmentSizeBytes: UInt32(smallGeometry.segmentSizeBytes), version: min(version, LogFormat.segmentVersion))
        bytes.withUnsafeMutableBytes {
            header.encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[segmentOffset..<(segmentOffset + LogFormat.segmentHeaderBytes)]))
        }
        if version > LogFormat.segmentVersion {
            // A header from newer code: its version field, resealed with a valid CRC.
            bytes[segmentOffset + 4] = UInt8(version)
            let crc = bytes[segmentOffset..<(segmentOffset + 44)].withUnsafeBytes { CRC32C.checksum($0) }
            for i in 0..<4 { bytes[segmentOffset + 44 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        }
        offset = segmentOffset + LogFormat.segmentHeaderBytes
    }

    /// Appends one record: header, `payload` as given, keyed CRC-32C.
    mutating func append(_ type: LogRecordType, flags: UInt8 = 0, payload: [UInt8]) {
        var record: [UInt8] = []
        let length = LogFormat.recordHeaderBytes + payload.count + LogFormat.recordTrailerBytes
        record += [UInt8(length & 0xFF), UInt8(length >> 8), type.rawValue, flags]
        record += le64(nextSequence)
        record += le64(nextSequence)  // timestamp
        record += payload
        var crc = CRC32C()
        for byte in le64(segmentSequence) { crc.update(byte: byte) }
        record.withUnsafeBytes { crc.update($0) }
        let value = crc.value
        record += (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
        bytes.replaceSubrange(offset..<(offset + length), with: record)
        offset += length
        nextSequence += 1
    }

    /// Recomputes a file header's CRC after a field was changed.
    static func resealFileHeader(_ header: inout [UInt8]) {
        let crc = header[0..<60].withUnsafeBytes { CRC32C.checksum($0) }
        for i in 0..<4 { header[60 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }
}
