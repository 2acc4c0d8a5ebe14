import OutpostCore
import XCTest

/// CBOR encodings (RFC 8949 Appendix A vectors) and the all-or-nothing overflow rule.
final class CBORWriterTests: XCTestCase {
    func encode(_ capacity: Int = 64, reserve: Int = 0, _ body: (inout CBORWriter) -> Void) -> (bytes: [UInt8], overflowed: Bool) {
        var buffer = [UInt8](repeating: 0, count: capacity)
        return buffer.withUnsafeMutableBytes { raw in
            var w = CBORWriter(buffer: raw, reserveBytes: reserve)
            body(&w)
            return (Array(w.bytes), w.overflowed)
        }
    }

    func testIntegersInShortestForm() {
        let vectors: [(Int64, [UInt8])] = [
            (0, [0x00]), (23, [0x17]), (24, [0x18, 0x18]), (255, [0x18, 0xFF]), (256, [0x19, 0x01, 0x00]),
            (65_536, [0x1A, 0x00, 0x01, 0x00, 0x00]), (4_294_967_296, [0x1B, 0, 0, 0, 1, 0, 0, 0, 0]),
            (-1, [0x20]), (-24, [0x37]), (-25, [0x38, 0x18]), (-1000, [0x39, 0x03, 0xE7]),
            (Int64.min, [0x3B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        ]
        for (value, expected) in vectors {
            XCTAssertEqual(encode { $0.int(value) }.bytes, expected, "\(value)")
        }
    }

    func testTextFloatSimpleAndContainers() {
        XCTAssertEqual(encode { $0.text("IETF") }.bytes, [0x64, 0x49, 0x45, 0x54, 0x46])
        XCTAssertEqual(encode { $0.float64(1.1) }.bytes, [0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A])
        XCTAssertEqual(encode { $0.bool(true); $0.bool(false); $0.null() }.bytes, [0xF5, 0xF4, 0xF6])
        let map = encode { w in
            w.beginMap()
            w.key("a")
            w.fixed(25_125, decimals: 3)
            w.key("b")
            w.beginArray()
            w.integer(1)
            w.endArray()
            w.endMap()
        }
        XCTAssertEqual(map.bytes, [0xBF, 0x61, 0x61, 0xFB, 0x40, 0x39, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x62, 0x9F, 0x01, 0xFF, 0xFF])
    }

    func testOverflowIsAllOrNothingAndTheReserveClosesContainers() {
        let text = encode(4) { $0.text("hello") }
        XCTAssertTrue(text.overflowed)
        XCTAssertEqual(text.bytes, [], "a string that does not fit writes nothing, not even its head")
        let closed = encode(6, reserve: 2) { w in
            w.beginArray()
            w.beginArray()
            w.int(1)
            w.int(1000)  // 3 bytes: does not fit before the reserve
            XCTAssertTrue(w.overflowed)
            w.endArray()
            w.endArray()
        }
        XCTAssertEqual(closed.bytes, [0x9F, 0x9F, 0x01, 0xFF, 0xFF])
    }

    func testJSONWriterCommasRewindAndReserve() {
        var buffer = [UInt8](repeating: 0, count: 40)
        let text: String = buffer.withUnsafeMutableBytes { raw in
            var w = ResourceJSONWriter(buffer: raw, reserveBytes: 4)
            w.beginMap()
            w.key("a")
            w.beginArray()
            w.integer(-5)
            w.fixed(-1_500, decimals: 3)
            let mark = w.mark
            w.string("this element is far too long to fit")
            XCTAssertTrue(w.overflowed)
            w.rewind(to: mark)
            XCTAssertFalse(w.overflowed)
            w.useReserve()
            w.endArray()
            w.key("t")
            w.bool(true)
            w.endMap()
            return String(decoding: w.bytes, as: UTF8.self)
        }
        XCTAssertEqual(text, "{\"a\":[-5,-1.500],\"t\":true}")
    }
}
