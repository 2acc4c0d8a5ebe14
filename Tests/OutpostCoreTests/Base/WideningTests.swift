import OutpostCore
import XCTest

final class WideningTests: XCTestCase {
    func testWideningKeepsSignAndValue() {
        for value: Int32 in [0, 1, -1, 42, -42, Int32.max, Int32.min] {
            XCTAssertEqual(value.wide, Int64(value))
            XCTAssertEqual(value.double, Double(value))
        }
        for value: UInt32 in [0, 1, UInt32.max] { XCTAssertEqual(value.wide, Int64(value)) }
        XCTAssertEqual(UInt16.max.wide, 65_535)
        XCTAssertEqual(UInt8.max.wide, 255)
        XCTAssertEqual((-7).wide, -7)
    }

    func testSaturatingNarrowing() {
        XCTAssertEqual(Int64(3_000_000_000).saturatingInt32, Int32.max)
        XCTAssertEqual(Int64(-3_000_000_000).saturatingInt32, Int32.min)
        XCTAssertEqual(Int64(-5).saturatingInt32, -5)
        XCTAssertEqual(Int64(123).narrow, 123)
    }
}
