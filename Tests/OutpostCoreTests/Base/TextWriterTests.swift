import Foundation
import OutpostCore
import XCTest

final class TextWriterTests: XCTestCase {
    func write(_ capacity: Int = 256, _ body: (inout TextWriter) -> Void) -> (String, Bool) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { memory.deallocate() }
        var writer = TextWriter(buffer: memory)
        body(&writer)
        return (String(decoding: writer.bytes, as: UTF8.self), writer.overflowed)
    }

    func testIntegersAndFixedPoint() {
        XCTAssertEqual(write { $0.integer(0) }.0, "0")
        XCTAssertEqual(write { $0.integer(-42) }.0, "-42")
        XCTAssertEqual(write { $0.integer(Int64.min) }.0, "-9223372036854775808")
        XCTAssertEqual(write { $0.unsigned(UInt64.max) }.0, "18446744073709551615")
        XCTAssertEqual(write { $0.fixed(25_125, decimals: 3) }.0, "25.125")
        XCTAssertEqual(write { $0.fixed(-5, decimals: 3) }.0, "-0.005")
        XCTAssertEqual(write { $0.fixed(1_013_250, decimals: 1) }.0, "101325.0")
        XCTAssertEqual(write { $0.fixed(7, decimals: 0) }.0, "7")
        XCTAssertEqual(write { $0.q16(65_535) }.0, "1.000")
        XCTAssertEqual(write { $0.q16(32_768) }.0, "0.500")
        XCTAssertEqual(write { $0.q16(0) }.0, "0.000")
    }

    func testJSONEscaping() {
        let input: [UInt8] = Array("a\"b\\c\nd".utf8) + [0x01]
        let (text, _) = write { w in input.withUnsafeBytes { w.jsonEscaped($0) } }
        XCTAssertEqual(text, "a\\\"b\\\\c\\nd\\u0001")
    }

    func testOverflowIsReportedNotWritten() {
        let (text, overflowed) = write(4) { w in
            w.text("abc")
            w.text("de")
            w.byte(0x66)
        }
        // Nothing after a write that did not fit: "abc" + "f" would splice two pieces together.
        XCTAssertEqual(text, "abc")
        XCTAssertTrue(overflowed)
    }

    func testWholeLinesEndAtTheLastNewlineAndRewindWritesAgain() {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 12, alignment: 8)
        defer { memory.deallocate() }
        var w = TextWriter(buffer: memory)
        w.text("a 1\nb 22\n")
        XCTAssertEqual(w.wholeLinesCount, 9)
        w.text("c 333\n")
        w.byte(0x0A)
        XCTAssertTrue(w.overflowed)
        XCTAssertEqual(w.count, 9, "neither the long line nor the byte after it")
        XCTAssertEqual(w.wholeLinesCount, 9)
        w.rewind(to: 4)
        w.text("d\n")
        XCTAssertFalse(w.overflowed)
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "a 1\nd\n")
        XCTAssertEqual(w.wholeLinesCount, 6)
    }

    func testAlertJSONIsValidJSON() throws {
        let event = AlertEvent(
            raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
            value: 46_500, threshold: 45_000, confidenceQ16: 0, timestampMs: 1_767_225_600_000)
        let (text, _) = write(1024) { $0.alertJSON(event, sensor: SensorName("sensor-001")) }
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        XCTAssertEqual(object?["kind"] as? String, "threshold")
        XCTAssertEqual(object?["severity"] as? String, "major")
        XCTAssertEqual(object?["value"] as? Double, 46.5)
        XCTAssertEqual(object?["threshold"] as? Double, 45)
        XCTAssertEqual(object?["t_ms"] as? Int, 1_767_225_600_000)
    }
}
