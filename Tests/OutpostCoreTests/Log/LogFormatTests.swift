import OutpostCore
import XCTest

/// Payload encode/decode of every record type, headers and cursor slots, and their refusals.
final class LogFormatTests: XCTestCase {
    func encode(_ body: (UnsafeMutableRawBufferPointer) -> Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: LogFormat.maxPayloadBytes)
        let count = bytes.withUnsafeMutableBytes(body)
        return Array(bytes[0..<count])
    }

    func testReadingRoundTripForEveryFeatureMask() {
        var workload = LogWorkload(seed: 3)
        for mask in 0..<32 {
            var reading = workload.reading(at: 1_700_000_000_123)
            var features = FeatureVector()
            for f in 0..<5 where mask & (1 << f) != 0 { features[Feature(rawValue: UInt8(f))!] = Int32(f * 1000 - 2_000_000_000) }
            reading.features = features
            reading.batteryMilliPercent = mask % 2 == 0 ? nil : -1
            let name = workload.name()
            let payload = LogReadingPayload(name: name, reading: reading)
            let bytes = encode { payload.encode(into: $0) }
            XCTAssertEqual(bytes.count, payload.sizeBytes)
            XCTAssertEqual(bytes.count, 10 + Int(name.count) + 4 * mask.nonzeroBitCount)
            let decoded = bytes.withUnsafeBytes { LogReadingPayload(decoding: $0, timestampMs: 1_700_000_000_123) }
            var expected = reading
            expected.sensorSlot = 0
            XCTAssertEqual(decoded, LogReadingPayload(name: name, reading: expected))
        }
    }

    func testAlertRoundTripForEveryKindAndSeverity() {
        for kind in 0..<AlertKind.count {
            for severity: UInt8 in 1...3 {
                for feature in [nil, Feature.temperature, .power] {
                    let alert = AlertEvent(
                        raised: kind % 2 == 0, kind: AlertKind(rawValue: UInt8(kind))!, severity: Severity(rawValue: severity)!,
                        sensorSlot: 0, feature: feature, value: Int32.min, threshold: Int32.max, confidenceQ16: 65535, timestampMs: -5)
                    let payload = LogAlertPayload(name: SensorName("x"), alert: alert)
                    let bytes = encode { payload.encode(into: $0) }
                    XCTAssertEqual(bytes.count, 15)
                    let decoded = bytes.withUnsafeBytes { LogAlertPayload(decoding: $0, raised: alert.raised, timestampMs: -5) }
                    XCTAssertEqual(decoded, payload)
                    XCTAssertEqual(payload.recordType, alert.raised ? .alert : .alertCleared)
                }
            }
        }
    }

    func testSummaryAndMarkerRoundTrip() {
        var workload = LogWorkload(seed: 5)
        for _ in 0..<50 {
            let summary = workload.summary()
            let payload = LogSummaryPayload(name: SensorName("pump.north"), summary: summary)
            let bytes = encode { payload.encode(into: $0) }
            XCTAssertEqual(bytes.count, payload.sizeBytes)
            guard let decoded = bytes.withUnsafeBytes({ LogSummaryPayload(decoding: $0) }) else { return XCTFail("summary refused") }
            XCTAssertEqual(decoded.name, payload.name)
            XCTAssertEqual(decoded.summary.span, summary.span)
            XCTAssertEqual(decoded.summary.readingCount, summary.readingCount)
            XCTAssertEqual(decoded.summary.anomalyCount, summary.anomalyCount)
            for i in 0..<Feature.count {
                let stats = summary.features[i]
                XCTAssertEqual(decoded.summary.features[i], stats.count > 0 ? stats : .empty)
            }
        }
        let marker = LogMarkerPayload(code: LogMarkerPayload.readingsDropped, value: UInt64.max - 1)
        let bytes = encode { marker.encode(into: $0) }
        XCTAssertEqual(bytes.withUnsafeBytes { LogMarkerPayload(decoding: $0) }, marker)
        XCTAssertEqual(bytes.count, LogMarkerPayload.sizeBytes)
    }

    func testMalformedPayloadsAreRefused() {
        var workload = LogWorkload(seed: 9)
        let payload = LogReadingPayload(name: SensorName("abc"), reading: workload.reading(at: 0))
        let bytes = encode { payload.encode(into: $0) }
        // Every shorter or longer length is refused.
        for count in 0..<(bytes.count + 3) where count != bytes.count {
            var variant = Array(bytes.prefix(count))
            while variant.count < count { variant.append(0) }
            XCTAssertNil(variant.withUnsafeBytes { LogReadingPayload(decoding: $0, timestampMs: 0) }, "length \(count)")
        }
        var badName = bytes
        badName[0] = 0
        XCTAssertNil(badName.withUnsafeBytes { LogReadingPayload(decoding: $0, timestampMs: 0) })
        var badChar = bytes
        badChar[1] = 0x20
        XCTAssertNil(badChar.withUnsafeBytes { LogReadingPayload(decoding: $0, timestampMs: 0) })
        var badStatus = bytes
        badStatus[5] = 7
        XCTAssertNil(badStatus.withUnsafeBytes { LogReadingPayload(decoding: $0, timestampMs: 0) })
        let event = workload.alert(at: 0)
        let alert = encode { LogAlertPayload(name: SensorName("a"), alert: event).encode(into: $0) }
        var badKind = alert
        badKind[2] = 200
        XCTAssertNil(badKind.withUnsafeBytes { LogAlertPayload(decoding: $0, raised: true, timestampMs: 0) })
        var badFeature = alert
        badFeature[4] = 9
        XCTAssertNil(badFeature.withUnsafeBytes { LogAlertPayload(decoding: $0, raised: true, timestampMs: 0) })
        XCTAssertNil([UInt8](repeating: 0, count: 11).withUnsafeBytes { LogMarkerPayload(decoding: $0) })
    }

    func testHeadersRoundTripAndEveryBitFlipIsCaught() {
        let header = LogSegmentHeader(state: LogSegmentHeader.stateLive, segmentSequence: 77, firstRecordSequence: 1234, eraseCount: 3, segmentIndex: 2, segmentSizeBytes: 4096)
        var bytes = [UInt8](repeating: 0, count: LogFormat.segmentHeaderBytes)
        bytes.withUnsafeMutableBytes { header.encode(into: $0) }
        XCTAssertEqual(Array(bytes[0..<4]), Array("OPLS".utf8))
        XCTAssertEqual(bytes.withUnsafeBytes { LogSegmentHeader.decode($0, index: 2, segmentSizeBytes: 4096) }, header)
        XCTAssertNil(bytes.withUnsafeBytes { LogSegmentHeader.decode($0, index: 3, segmentSizeBytes: 4096) }, "misplaced header")
        for bit in 0..<(bytes.count * 8) {
            var flipped = bytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            XCTAssertNil(flipped.withUnsafeBytes { LogSegmentHeader.decode($0, index: 2, segmentSizeBytes: 4096) }, "bit \(bit)")
        }
        let file = LogFileHeader(geometry: .medium, fileSizeBytes: LogGeometry.medium.fileSizeBytes)
        var fileBytes = [UInt8](repeating: 0, count: LogFormat.fileHeaderBytes)
        fileBytes.withUnsafeMutableBytes { file.encode(into: $0) }
        XCTAssertEqual(Array(fileBytes[0..<4]), Array("OPLG".utf8))
        XCTAssertEqual(fileBytes.withUnsafeBytes { LogFileHeader.probe($0) }, .valid(file))
        for bit in 32..<(fileBytes.count * 8) where bit / 8 != 4 && bit / 8 != 5 {
            var flipped = fileBytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            XCTAssertEqual(flipped.withUnsafeBytes { LogFileHeader.probe($0) }, .corrupt, "bit \(bit)")
        }
        let slot = LogCursorSlot(generation: 5, cursor: 999)
        var slotBytes = [UInt8](repeating: 0, count: LogFormat.cursorSlotBytes)
        slotBytes.withUnsafeMutableBytes { slot.encode(into: $0) }
        XCTAssertEqual(slotBytes.withUnsafeBytes { LogCursorSlot.decode($0) }, slot)
        for bit in 0..<(slotBytes.count * 8) {
            var flipped = slotBytes
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            XCTAssertNil(flipped.withUnsafeBytes { LogCursorSlot.decode($0) }, "bit \(bit)")
        }
        XCTAssertEqual(LogCursorSlot.offset(forGeneration: 5), 512)
        XCTAssertEqual(LogCursorSlot.offset(forGeneration: 6), 1024)
    }

    func testGeometryPresetsAndLimits() {
        XCTAssertEqual(LogGeometry.test.segmentCount, 15)
        XCTAssertEqual(LogGeometry.low.segmentCount, 63)
        XCTAssertEqual(LogGeometry.medium.segmentCount, 255)
        XCTAssertEqual(LogGeometry.high.segmentCount, 1023)
        XCTAssertLessThanOrEqual(LogGeometry.high.fileSizeBytes, 64 << 20)
        XCTAssertNil(LogGeometry(segmentSizeBytes: 4096, segmentCount: 2))
        XCTAssertNil(LogGeometry(segmentSizeBytes: 1000, segmentCount: 8))
        XCTAssertNil(LogGeometry(segmentSizeBytes: 512, segmentCount: 8))
        XCTAssertNil(LogGeometry(fileSizeBytes: 4096 + 2 * 4096, segmentSizeBytes: 4096))
        XCTAssertEqual(smallGeometry.offset(ofSegment: 3), 4096 + 3 * 4096)
    }
}
