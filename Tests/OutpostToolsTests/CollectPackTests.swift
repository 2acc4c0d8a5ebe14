import Foundation
import OutpostCore
import XCTest

@testable import OutpostTools

/// The collector's reading of uplink packs: format-2 alerts (state and value records), format-1
/// alerts (one record), and the name escapes undone.
final class CollectPackTests: XCTestCase {
    func pack(_ records: [LogRecord], node: StaticString) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 8)
        defer { buffer.deallocate() }
        var encoder = SenMLEncoder(buffer: buffer, nodeId: SensorName(node))
        for record in records { XCTAssertEqual(encoder.append(record), .appended) }
        return Array(encoder.finish())
    }

    func testAFormat2AlertIsOneLineWithItsValueAndTheNamesUnescaped() throws {
        let event = AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                               value: 45_250, threshold: 40_000, confidenceQ16: 0, timestampMs: 1_767_225_600_000)
        let payload = LogAlertPayload(name: SensorName("hot#1:a"), alert: event)
        var record = LogRecord()
        record.type = .alert
        record.sequence = 7
        record.timestampMs = event.timestampMs
        var bytes = record.payload
        record.payloadCount = withUnsafeMutableBytes(of: &bytes) { payload.encode(into: $0) }
        record.payload = bytes
        let records = try CollectPack.decode(pack([record], node: "gw%1"))
        XCTAssertEqual(records.count, 1, "two SenML records, one log record")
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(CollectPack.jsonLine(records[0]).utf8)) as? [String: Any])
        XCTAssertEqual(line["node"] as? String, "gw%1")
        XCTAssertEqual(line["sensor"] as? String, "hot#1:a")
        XCTAssertEqual(line["type"] as? String, "alert")
        XCTAssertEqual(line["state"] as? String, "raised")
        XCTAssertEqual(line["value"] as? Double, 45.25)
        XCTAssertEqual(line["unit"] as? String, "Cel")
        XCTAssertEqual(line["threshold"] as? Double, 40)
    }

    func testAFormat1AlertStillReads() throws {
        // One record with vs, u, v and thr, as uplink format 1 sent it (CBOR by hand).
        var out: [UInt8] = [0x9F, 0xBF, 0x21, 0x63]
        out += Array("n1/".utf8)
        out += [0x00, 0x72] + Array("s1/alert/threshold".utf8)
        out += [0x03, 0x6C] + Array("raised:major".utf8)
        out += [0x01, 0x63] + Array("Cel".utf8) + [0x02, 0x18, 0x2D]
        out += [0x63] + Array("thr".utf8) + [0x18, 0x28]
        out += [0x63] + Array("seq".utf8) + [0x05, 0xFF, 0xFF]
        let records = try CollectPack.decode(out)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(CollectPack.jsonLine(records[0]).utf8)) as? [String: Any])
        XCTAssertEqual(line["value"] as? Double, 45)
        XCTAssertEqual(line["threshold"] as? Double, 40)
        XCTAssertEqual(line["unit"] as? String, "Cel")
    }

    func testUnescapeLeavesPlainNamesAndBrokenEscapesAlone() {
        XCTAssertEqual(CollectPack.unescapeName("sensor-001"), "sensor-001")
        XCTAssertEqual(CollectPack.unescapeName("a:3Ab:23"), "a:b#")
        XCTAssertEqual(CollectPack.unescapeName("a:zz"), "a:zz")
        XCTAssertEqual(CollectPack.unescapeName("a:4"), "a:4")
    }
}
